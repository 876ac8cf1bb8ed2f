//! Terms documents: CreateTerms, DescribeTerms, ListTerms, UpdateTerms and DeleteTerms
//! (SigV4-signed). The rules are [`crate::userpool::terms`]'s; this file reads the members and
//! renders `TermsType` and `TermsDescriptionType`, timestamps in epoch seconds.

use super::{ApiResult, given_text, limit, pool_id_in, s, string_map};
use crate::services::Services;
use crate::userpool::terms::{NewTerms, Terms, TermsChange};
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub user_pools: &'a crate::userpool::UserPools,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { user_pools: &svc.user_pools }
    }
}

pub const ACTIONS: &[&str] = &["CreateTerms", "DescribeTerms", "ListTerms", "UpdateTerms", "DeleteTerms"];

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    let pools = svc.user_pools;
    let pool_id = pool_id_in(i)?;
    match action {
        "CreateTerms" => {
            let new = NewTerms {
                client_id: s(i, "ClientId").to_string(),
                name: s(i, "TermsName").to_string(),
                source: s(i, "TermsSource").to_string(),
                enforcement: s(i, "Enforcement").to_string(),
                links: string_map(&i["Links"]),
            };
            Ok(json!({"Terms": terms(&pools.create_terms(&pool_id, new).await?)}))
        }
        "DescribeTerms" => Ok(json!({"Terms": terms(&pools.describe_terms(&pool_id, s(i, "TermsId")).await?)})),
        "ListTerms" => {
            let next = i["NextToken"].as_str().filter(|t| !t.is_empty());
            let (list, next) = pools.list_terms(&pool_id, limit(i, "MaxResults", 60), next).await?;
            let mut out = json!({"Terms": list.iter().map(description).collect::<Vec<_>>()});
            if let Some(n) = next {
                out["NextToken"] = json!(n);
            }
            Ok(out)
        }
        "UpdateTerms" => {
            let change = TermsChange {
                name: given_text(&i["TermsName"]),
                source: given_text(&i["TermsSource"]),
                enforcement: given_text(&i["Enforcement"]),
                links: i["Links"].is_object().then(|| string_map(&i["Links"])),
            };
            Ok(json!({"Terms": terms(&pools.update_terms(&pool_id, s(i, "TermsId"), change).await?)}))
        }
        "DeleteTerms" => {
            pools.delete_terms(&pool_id, s(i, "TermsId")).await?;
            Ok(json!({}))
        }
        _ => Err(super::unsupported(action)),
    }
}

/// Cognito's `TermsType`.
fn terms(t: &Terms) -> Value {
    json!({
        "TermsId": t.id,
        "UserPoolId": t.pool_id,
        "ClientId": t.client_id,
        "TermsName": t.name,
        "TermsSource": t.source,
        "Enforcement": t.enforcement,
        "Links": t.links,
        "CreationDate": t.created_at,
        "LastModifiedDate": t.updated_at,
    })
}

/// Cognito's `TermsDescriptionType` (a list entry: no client, source or links).
fn description(t: &Terms) -> Value {
    json!({
        "TermsId": t.id,
        "TermsName": t.name,
        "Enforcement": t.enforcement,
        "CreationDate": t.created_at,
        "LastModifiedDate": t.updated_at,
    })
}
