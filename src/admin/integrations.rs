//! What a pool connects to: its domains (a prefix under the server's base domain), resource
//! servers (custom scopes), identity providers (Google, Facebook, OIDC) and the Firebase
//! parameters of imported password hashes. Read by every role, changed by admins only, each
//! change through the service call of its Cognito action (or Portcullis's own), audited.

use super::{Access, Change, Configure, InPool, Layout, Read, internal, page, see_other};
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::identity_providers::{NewIdentityProvider, ProviderType};
use crate::userpool::model::Pool;
use crate::userpool::resources::{NewDomain, ResourceServerDefinition, ResourceServerScope};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;
use std::collections::BTreeMap;

/// A resource server as the page lists it.
pub struct ServerLine {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
}

/// An identity provider as the page lists it (never its secret).
pub struct ProviderLine {
    pub name: String,
    pub provider_type: String,
    pub client_id: String,
    pub issuer: String,
}

#[derive(Template)]
#[template(path = "admin/integrations.html")]
struct IntegrationsPage {
    layout: Layout,
    pool: Pool,
    domains: Vec<(String, String)>,
    servers: Vec<ServerLine>,
    providers: Vec<ProviderLine>,
    /// The Firebase scrypt rounds and memory cost, when set.
    firebase: Option<(i64, i64)>,
    error: Option<String>,
}

async fn integrations_page(svc: &Services, layout: Layout, pool: Pool, error: Option<String>) -> HttpResponse {
    let (servers, _) = match svc.user_pools.list_resource_servers(&pool.id, 50, None).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let (providers, _) = match svc.user_pools.list_identity_providers(&pool.id, 50, None).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let firebase = match svc.user_pools.firebase_scrypt_costs(&pool.id).await {
        Ok(f) => f,
        Err(e) => return internal(e),
    };
    let description = match svc.user_pools.describe_pool(pool).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let mut domains = Vec::new();
    if let Some(d) = &description.domain {
        domains.push((d.clone(), svc.user_pools.domain_host(d, false)));
    }
    if let Some(d) = &description.custom_domain {
        domains.push((d.clone(), d.clone()));
    }
    let servers = servers
        .into_iter()
        .map(|s| ServerLine {
            scopes: s
                .scopes
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["ScopeName"].as_str().map(|n| format!("{}/{n}", s.identifier)))
                .collect(),
            identifier: s.identifier,
            name: s.name,
        })
        .collect();
    let providers = providers
        .into_iter()
        .map(|p| ProviderLine {
            client_id: p.details.get("client_id").cloned().unwrap_or_default(),
            issuer: p.details.get("oidc_issuer").cloned().unwrap_or_default(),
            name: p.name,
            provider_type: p.provider_type,
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page(status, &IntegrationsPage { layout, pool: description.pool, domains, servers, providers, firebase, error })
}

/// `/admin/pools/{pool}/integrations`.
pub async fn show(a: InPool<Access<Read>>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    integrations_page(&a.svc, Layout::of(&a.op, "pools", None), pool, None).await
}

/// `POST /admin/pools/{pool}/integrations/{what}`: add-domain, delete-domain, add-server,
/// delete-server, add-provider, delete-provider, firebase-scrypt (admins).
pub async fn change(c: InPool<Change<Configure>>, path: Path<(String, String)>) -> HttpResponse {
    let (_, what) = path.into_inner();
    let (c, pool) = c.into_parts();
    let svc = &c.svc;
    let f = &c.form;
    let result: Result<(&str, String, serde_json::Value), Error> = match what.as_str() {
        "add-domain" => {
            let new =
                NewDomain { domain: f.get("domain").trim().to_string(), custom: None, managed_login_version: None };
            svc.user_pools.create_domain(&pool.id, &new).await.map(|d| {
                ("CreateUserPoolDomain", format!("domain:{}", d.requested), serde_json::json!({"Host": d.host}))
            })
        }
        "delete-domain" => {
            let domain = f.get("domain").to_string();
            svc.user_pools
                .delete_domain(&pool.id, &domain)
                .await
                .map(|_| ("DeleteUserPoolDomain", format!("domain:{domain}"), serde_json::Value::Null))
        }
        "add-server" => {
            let scopes = f
                .lines("scopes")
                .into_iter()
                .map(|line| {
                    let (name, description) = line.split_once(':').unwrap_or((line.as_str(), ""));
                    ResourceServerScope { name: name.trim().to_string(), description: description.trim().to_string() }
                })
                .collect();
            let def = ResourceServerDefinition {
                identifier: f.get("identifier").trim().to_string(),
                name: f.get("name").trim().to_string(),
                scopes,
            };
            svc.user_pools.create_resource_server(&pool.id, &def).await.map(|s| {
                (
                    "CreateResourceServer",
                    format!("resource-server:{}", s.identifier),
                    serde_json::json!({"Scopes": s.scopes}),
                )
            })
        }
        "delete-server" => {
            let identifier = f.get("identifier").to_string();
            svc.user_pools
                .delete_resource_server(&pool.id, &identifier)
                .await
                .map(|_| ("DeleteResourceServer", format!("resource-server:{identifier}"), serde_json::Value::Null))
        }
        "add-provider" => match ProviderType::parse(f.get("type")) {
            None => Err(Error::invalid("Choose the provider's type.")),
            Some(provider_type) => {
                let mut details = BTreeMap::new();
                for key in ["client_id", "client_secret", "authorize_scopes", "oidc_issuer"] {
                    if let Some(v) = f.text(key) {
                        details.insert(key.to_string(), v);
                    }
                }
                if provider_type == ProviderType::Oidc {
                    details.insert("attributes_request_method".into(), "GET".into());
                }
                let attribute_mapping = f
                    .lines("mapping")
                    .into_iter()
                    .filter_map(|l| l.split_once('=').map(|(a, b)| (a.trim().to_string(), b.trim().to_string())))
                    .collect();
                let name = f.text("name").unwrap_or_else(|| provider_type.as_str().to_string());
                let new = NewIdentityProvider {
                    name,
                    provider_type,
                    details,
                    attribute_mapping,
                    idp_identifiers: Vec::new(),
                };
                svc.user_pools.create_identity_provider(&pool.id, &new).await.map(|p| {
                    let audited = serde_json::json!({"ProviderType": p.provider_type, "ProviderDetails": p.details});
                    ("CreateIdentityProvider", format!("provider:{}", p.name), audited)
                })
            }
        },
        "delete-provider" => {
            let name = f.get("name").to_string();
            svc.user_pools
                .delete_identity_provider(&pool.id, &name)
                .await
                .map(|_| ("DeleteIdentityProvider", format!("provider:{name}"), serde_json::Value::Null))
        }
        "firebase-scrypt" => {
            let number =
                |k| f.get(k).trim().parse::<u32>().map_err(|_| Error::invalid(format!("{k} must be a number.")));
            match (number("rounds"), number("mem_cost")) {
                (Ok(rounds), Ok(mem_cost)) => svc
                    .user_pools
                    .set_firebase_scrypt(&pool.id, f.get("signer_key"), f.get("salt_separator"), rounds, mem_cost)
                    .await
                    .map(|_| {
                        let audited = serde_json::json!({"Rounds": rounds, "MemCost": mem_cost});
                        ("SetFirebaseScryptParameters", "firebase-scrypt".to_string(), audited)
                    }),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        _ => return super::message(StatusCode::NOT_FOUND, "No such action", "This action does not exist."),
    };
    match result {
        Ok((action, target, details)) => {
            c.audit(Some(&pool.id), action, target, details).await;
            see_other(&format!("/admin/pools/{}/integrations", pool.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => integrations_page(&c.svc, Layout::of(&c.op, "pools", None), pool, Some(e.to_string())).await,
    }
}
