//! Pools, clients, domains and resource servers.

use super::pool_input::{new_domain, pool_changes, pool_definition, resource_server};
use super::{ApiResult, client_id_in, client_shapes, limit, pool_id_in, s, string_list, string_map};
use crate::services::Services;
use crate::store::pool_resources::ResourceServerRow;
use crate::userpool::client_secrets::ClientSecretInfo;
use crate::userpool::pools::PoolDescription;
use crate::userpool::resources::Domain;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a crate::userpool::directory::Directory,
    pub user_pools: &'a crate::userpool::UserPools,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { directory: &svc.directory, user_pools: &svc.user_pools }
    }
}

pub const ACTIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "ListUserPools",
    "UpdateUserPool",
    "AddCustomAttributes",
    "DeleteUserPool",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "ListUserPoolClients",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "AddUserPoolClientSecret",
    "ListUserPoolClientSecrets",
    "DeleteUserPoolClientSecret",
    "CreateUserPoolDomain",
    "DescribeUserPoolDomain",
    "DeleteUserPoolDomain",
    "UpdateUserPoolDomain",
    "GetSigningCertificate",
    "CreateResourceServer",
    "DescribeResourceServer",
    "UpdateResourceServer",
    "ListResourceServers",
    "DeleteResourceServer",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

/// `ClientSecretDescriptorType`: the value only in AddUserPoolClientSecret's answer.
fn secret_descriptor(d: &ClientSecretInfo) -> Value {
    let mut out = json!({"ClientSecretId": d.id, "ClientSecretCreateDate": d.created_at});
    if let Some(v) = &d.value {
        out["ClientSecretValue"] = json!(v);
    }
    out
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    Ok(match action {
        "AddUserPoolClientSecret" => {
            let (pool, client) = (pool_id_in(i)?, client_id_in(i)?);
            let d = svc.user_pools.add_client_secret(&pool, &client, i["ClientSecret"].as_str()).await?;
            json!({"ClientSecretDescriptor": secret_descriptor(&d)})
        }
        "ListUserPoolClientSecrets" => {
            let list = svc.user_pools.list_client_secrets(&pool_id_in(i)?, &client_id_in(i)?).await?;
            json!({"ClientSecrets": list.iter().map(secret_descriptor).collect::<Vec<_>>()})
        }
        "DeleteUserPoolClientSecret" => {
            let (pool, client) = (pool_id_in(i)?, client_id_in(i)?);
            svc.user_pools.delete_client_secret(&pool, &client, s(i, "ClientSecretId")).await?;
            json!({})
        }
        "CreateUserPool" => {
            let pool = svc.user_pools.create_pool(&pool_definition(i)).await?;
            json!({"UserPool": user_pool_type(&svc.user_pools.describe_pool(pool).await?)})
        }
        "DescribeUserPool" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            json!({"UserPool": user_pool_type(&svc.user_pools.describe_pool(pool).await?)})
        }
        "ListUserPools" => {
            let (pools, next) = svc.user_pools.list_pools(limit(i, "MaxResults", 60), i["NextToken"].as_str()).await?;
            let list: Vec<Value> = pools
                .iter()
                .map(|p| {
                    json!({"Id": p.id, "Name": p.name, "LambdaConfig": p.config["LambdaConfig"],
                           "LastModifiedDate": p.updated_at, "CreationDate": p.created_at})
                })
                .collect();
            with_token(json!({"UserPools": list}), "NextToken", next)
        }
        "UpdateUserPool" => {
            svc.user_pools.update_pool(&pool_id_in(i)?, &pool_changes(i)).await?;
            json!({})
        }
        "AddCustomAttributes" => {
            let attributes: Vec<_> = i["CustomAttributes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(super::pool_input::schema_attribute)
                .collect();
            svc.user_pools.add_custom_attributes(&pool_id_in(i)?, &attributes).await?;
            json!({})
        }
        "DeleteUserPool" => {
            svc.user_pools.delete_pool(&pool_id_in(i)?).await?;
            json!({})
        }
        "CreateUserPoolClient" => {
            let c = svc.user_pools.create_client(&pool_id_in(i)?, &client_shapes::new_client(i)).await?;
            json!({"UserPoolClient": client_shapes::user_pool_client(&c)})
        }
        "DescribeUserPoolClient" => {
            let c = svc.directory.client(&pool_id_in(i)?, &client_id_in(i)?).await?;
            json!({"UserPoolClient": client_shapes::user_pool_client(&c)})
        }
        "ListUserPoolClients" => {
            let (rows, next) = svc
                .user_pools
                .list_clients(&pool_id_in(i)?, limit(i, "MaxResults", 60), i["NextToken"].as_str())
                .await?;
            let list: Vec<Value> =
                rows.iter().map(|c| json!({"ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name})).collect();
            with_token(json!({"UserPoolClients": list}), "NextToken", next)
        }
        "UpdateUserPoolClient" => {
            let definition = client_shapes::client_definition(i);
            let c = svc
                .user_pools
                .update_client(&pool_id_in(i)?, &client_id_in(i)?, i["ClientName"].as_str(), &definition)
                .await?;
            json!({"UserPoolClient": client_shapes::user_pool_client(&c)})
        }
        "DeleteUserPoolClient" => {
            svc.user_pools.delete_client(&pool_id_in(i)?, &client_id_in(i)?).await?;
            json!({})
        }
        "CreateUserPoolDomain" => {
            let d = svc.user_pools.create_domain(&pool_id_in(i)?, &new_domain(i)).await?;
            let mut out = json!({"ManagedLoginVersion": d.managed_login_version});
            if d.custom.is_some() {
                out["CloudFrontDomain"] = json!(d.host);
            }
            out
        }
        "DescribeUserPoolDomain" => {
            let d = svc.user_pools.describe_domain(s(i, "Domain")).await?;
            json!({"DomainDescription": d.map_or_else(|| json!({}), |d| domain_description_type(svc, &d))})
        }
        "UpdateUserPoolDomain" => {
            let d = svc.user_pools.update_domain(&pool_id_in(i)?, &new_domain(i)).await?;
            let mut out = json!({"ManagedLoginVersion": d.managed_login_version});
            if d.custom.is_some() {
                out["CloudFrontDomain"] = json!(d.host);
            }
            out
        }
        "GetSigningCertificate" => {
            json!({"Certificate": svc.user_pools.signing_certificate(&pool_id_in(i)?).await?})
        }
        "DeleteUserPoolDomain" => {
            svc.user_pools.delete_domain(&pool_id_in(i)?, s(i, "Domain")).await?;
            json!({})
        }
        "CreateResourceServer" => {
            json!({"ResourceServer": resource_server_type(&svc.user_pools.create_resource_server(&pool_id_in(i)?, &resource_server(i)).await?)})
        }
        "DescribeResourceServer" => {
            json!({"ResourceServer": resource_server_type(&svc.user_pools.resource_server(&pool_id_in(i)?, s(i, "Identifier")).await?)})
        }
        "UpdateResourceServer" => {
            json!({"ResourceServer": resource_server_type(&svc.user_pools.update_resource_server(&pool_id_in(i)?, &resource_server(i)).await?)})
        }
        "ListResourceServers" => {
            let max = limit(i, "MaxResults", 50).min(50);
            let (rows, next) =
                svc.user_pools.list_resource_servers(&pool_id_in(i)?, max, i["NextToken"].as_str()).await?;
            let list: Vec<Value> = rows.iter().map(resource_server_type).collect();
            with_token(json!({"ResourceServers": list}), "NextToken", next)
        }
        "DeleteResourceServer" => {
            svc.user_pools.delete_resource_server(&pool_id_in(i)?, s(i, "Identifier")).await?;
            json!({})
        }
        "TagResource" => {
            svc.user_pools.retag_pool(s(i, "ResourceArn"), &string_map(&i["Tags"]), &[]).await?;
            json!({})
        }
        "UntagResource" => {
            svc.user_pools.retag_pool(s(i, "ResourceArn"), &Default::default(), &string_list(&i["TagKeys"])).await?;
            json!({})
        }
        "ListTagsForResource" => json!({"Tags": svc.user_pools.pool_tags(s(i, "ResourceArn")).await?}),
        _ => return Err(super::unsupported(action)),
    })
}

/// Cognito's `UserPoolType`: the pool's stored settings, and what the service tells beside them.
/// Cognito's verification message and subject when a pool sets none.
const DEFAULT_VERIFICATION_MESSAGE: &str = "Your verification code is {####}. ";
const DEFAULT_VERIFICATION_SUBJECT: &str = "Your verification code";

fn user_pool_type(d: &PoolDescription) -> Value {
    let p = &d.pool;
    let mut out = (*p.config).clone();
    out["Id"] = json!(p.id);
    out["Name"] = json!(p.name);
    out["Arn"] = json!(d.arn);
    out["CreationDate"] = json!(p.created_at);
    out["LastModifiedDate"] = json!(p.updated_at);
    out["EstimatedNumberOfUsers"] = json!(d.estimated_number_of_users);
    // The legacy top-level messages, as Cognito describes them: the template's when it has one,
    // else what was set, else the defaults.
    let template = &p.config["VerificationMessageTemplate"];
    for (legacy, member, default) in [
        ("SmsVerificationMessage", "SmsMessage", DEFAULT_VERIFICATION_MESSAGE),
        ("EmailVerificationMessage", "EmailMessage", DEFAULT_VERIFICATION_MESSAGE),
        ("EmailVerificationSubject", "EmailSubject", DEFAULT_VERIFICATION_SUBJECT),
    ] {
        let text = template[member].as_str().or(p.config[legacy].as_str()).unwrap_or(default);
        out[legacy] = json!(text);
    }
    if let Some(domain) = &d.domain {
        out["Domain"] = json!(domain);
    }
    if let Some(domain) = &d.custom_domain {
        out["CustomDomain"] = json!(domain);
    }
    out
}

/// Cognito's `DomainDescriptionType`.
fn domain_description_type(svc: Uses<'_>, d: &Domain) -> Value {
    let mut v = json!({
        "UserPoolId": d.pool_id,
        "AWSAccountId": svc.user_pools.account_id(),
        "Domain": d.requested,
        "S3Bucket": "",
        "CloudFrontDistribution": d.host,
        "Version": "1",
        "Status": "ACTIVE",
        "ManagedLoginVersion": d.managed_login_version,
    });
    if let Some(c) = &d.custom {
        v["CustomDomainConfig"] = json!({"CertificateArn": c.certificate_arn});
        if let Some(p) = &c.security_policy {
            v["CustomDomainConfig"]["SecurityPolicy"] = json!(p);
        }
    }
    v
}

/// Cognito's `ResourceServerType` (the scopes are stored in its member names).
fn resource_server_type(r: &ResourceServerRow) -> Value {
    json!({"UserPoolId": r.pool_id, "Identifier": r.identifier, "Name": r.name, "Scopes": r.scopes})
}

pub(crate) fn with_token(mut v: Value, field: &str, token: Option<String>) -> Value {
    if let Some(t) = token {
        v[field] = json!(t);
    }
    v
}
