//! Pools and their app clients: the overview, the pool list and creation, a pool's page with
//! its settings and clients, and client creation (the secret shown once, with the AWS CLI
//! command that makes the same client).

use super::{Access, Change, Configure, InPool, Layout, Read, internal, page, see_other, segment};
use crate::ids::PoolId;
use crate::services::Services;
use crate::userpool::client_definition::{ClientDefinition, NewClient, OAuthFlow};
use crate::userpool::error::Error;
use crate::userpool::model::{MfaMode, Pool};
use crate::userpool::pool_definition::{
    AdminCreateUserConfig, AttributeDataType, PasswordPolicySettings, PoolDefinition, PoolOptions, SchemaAttribute,
    SoftwareTokenMfaConfig,
};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

/// A pool as the lists show it.
pub struct PoolLine {
    pub id: String,
    pub name: String,
    pub users: i64,
    pub mfa: &'static str,
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    layout: Layout,
    pools: Vec<PoolLine>,
    total_users: i64,
    more: bool,
    charts: Vec<super::charts::Chart>,
    ranges: &'static [super::charts::Range],
    range: &'static str,
    pool: String,
    /// Users with a second factor, and all users, in the pools shown.
    mfa: (i64, i64),
}

#[derive(serde::Deserialize)]
pub struct OverviewQuery {
    range: Option<String>,
    pool: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/pools.html")]
struct PoolsPage {
    layout: Layout,
    pools: Vec<PoolLine>,
    next: Option<String>,
    error: Option<String>,
    name: String,
}

const PAGE_SIZE: i64 = 50;

async fn pool_lines(svc: &Services, after: Option<&str>) -> Result<(Vec<PoolLine>, Option<String>), Error> {
    let (pools, next) = svc.user_pools.list_pools(PAGE_SIZE, after).await?;
    let mut lines = Vec::with_capacity(pools.len());
    for pool in pools {
        let mfa = pool.mfa_mode().as_str();
        let d = svc.user_pools.describe_pool(pool).await?;
        lines.push(PoolLine { id: d.pool.id.to_string(), name: d.pool.name, users: d.estimated_number_of_users, mfa });
    }
    Ok((lines, next))
}

/// `/admin`: activity charts (every pool or one), MFA adoption, every pool with its users.
pub async fn overview(a: Access<Read>, q: crate::web::Query<OverviewQuery>) -> HttpResponse {
    let (pools, next) = match pool_lines(&a.svc, None).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let chosen = q.pool.as_deref().filter(|p| pools.iter().any(|l| l.id == *p)).map(PoolId::from);
    let range = super::charts::range(q.range.as_deref());
    let charts = match super::charts::charts(&a.svc, chosen.as_ref(), range).await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let mut mfa = (0, 0);
    for p in pools.iter().filter(|p| chosen.as_ref().is_none_or(|c| c.as_str() == p.id)) {
        match a.svc.sign_in.mfa_adoption(&PoolId::from(p.id.as_str())).await {
            Ok((with, all)) => mfa = (mfa.0 + with, mfa.1 + all),
            Err(e) => return internal(e),
        }
    }
    page(
        StatusCode::OK,
        &OverviewPage {
            total_users: pools.iter().map(|p| p.users).sum(),
            more: next.is_some(),
            pools,
            layout: Layout::of(&a.op, "overview", None),
            charts,
            ranges: &super::charts::RANGES,
            range: range.name,
            pool: chosen.map(|c| c.to_string()).unwrap_or_default(),
            mfa,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    after: Option<String>,
}

/// `/admin/pools`: the pools, a page at a time, and (for admins) the form that creates one.
pub async fn list(a: Access<Read>, q: crate::web::Query<ListQuery>) -> HttpResponse {
    pools_page(&a.svc, Layout::of(&a.op, "pools", None), q.after.as_deref(), None, String::new()).await
}

async fn pools_page(
    svc: &Services,
    layout: Layout,
    after: Option<&str>,
    error: Option<String>,
    name: String,
) -> HttpResponse {
    match pool_lines(svc, after).await {
        Ok((pools, next)) => {
            let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            page(status, &PoolsPage { layout, pools, next, error, name })
        }
        Err(e) => internal(e),
    }
}

/// The attribute types a custom attribute may have, by the form's name.
fn data_type(name: &str) -> Option<AttributeDataType> {
    [AttributeDataType::String, AttributeDataType::Number, AttributeDataType::Boolean, AttributeDataType::DateTime]
        .into_iter()
        .find(|t| t.as_str().eq_ignore_ascii_case(name))
}

/// Custom attributes written one per line as `name` or `name: Type` (String when not given).
pub(super) fn custom_attributes(lines: &[String]) -> Result<Vec<SchemaAttribute>, String> {
    let mut attributes = Vec::new();
    for line in lines {
        let line = line.trim().trim_start_matches("custom:");
        let (name, kind) = line.split_once(':').map(|(n, k)| (n.trim(), k.trim())).unwrap_or((line, "String"));
        let Some(data_type) = data_type(kind) else {
            return Err(format!("{kind} is not an attribute type: use String, Number, Boolean or DateTime."));
        };
        attributes.push(SchemaAttribute {
            name: Some(format!("custom:{name}")),
            data_type: Some(data_type),
            mutable: Some(true),
            ..Default::default()
        });
    }
    Ok(attributes)
}

/// The settings the pool form offers, as CreateUserPool's command: sign-in names, required
/// standard attributes and custom ones (`name` or `name: Type` per line), the password policy,
/// MFA, sign-up and e-mail verification.
fn pool_definition(c: &Change<Configure>) -> Result<PoolDefinition, String> {
    let f = &c.form;
    let mfa = match f.get("mfa") {
        "ON" => MfaMode::On,
        "OPTIONAL" => MfaMode::Optional,
        _ => MfaMode::Off,
    };
    let (username_attributes, alias_attributes) = match f.get("sign_in") {
        "email" => (Some(vec!["email".to_string()]), None),
        "aliases" => (None, Some(vec!["email".to_string(), "preferred_username".to_string()])),
        _ => (None, None),
    };
    let mut schema: Vec<SchemaAttribute> = f
        .all("required")
        .into_iter()
        .map(|name| SchemaAttribute { name: Some(name), required: Some(true), ..Default::default() })
        .collect();
    schema.extend(custom_attributes(&f.lines("custom_attributes"))?);
    Ok(PoolDefinition {
        name: f.get("name").trim().to_string(),
        username_attributes,
        alias_attributes,
        case_sensitive: Some(!f.checked("case_insensitive")),
        schema,
        options: PoolOptions {
            password_policy: Some(PasswordPolicySettings {
                minimum_length: f.text("min_length").and_then(|v| v.parse().ok()),
                require_uppercase: Some(f.checked("require_uppercase")),
                require_lowercase: Some(f.checked("require_lowercase")),
                require_numbers: Some(f.checked("require_numbers")),
                require_symbols: Some(f.checked("require_symbols")),
                ..Default::default()
            }),
            mfa_mode: Some(mfa),
            auto_verified_attributes: f.checked("verify_email").then(|| vec!["email".to_string()]),
            admin_create_user: Some(AdminCreateUserConfig {
                allow_admin_create_user_only: Some(!f.checked("self_sign_up")),
                ..Default::default()
            }),
            ..Default::default()
        },
    })
}

/// `POST /admin/pools`: create a pool (admins).
pub async fn create(c: Change<Configure>) -> HttpResponse {
    let layout = Layout::of(&c.op, "pools", None);
    let def = match pool_definition(&c) {
        Ok(d) => d,
        Err(e) => return pools_page(&c.svc, layout, None, Some(e), c.form.get("name").to_string()).await,
    };
    if def.name.is_empty() || def.name.chars().count() > 128 {
        return pools_page(&c.svc, layout, None, Some("A pool name has 1 to 128 characters.".into()), def.name).await;
    }
    let result = c.svc.user_pools.create_pool(&def).await;
    let pool = match result {
        Ok(pool) => pool,
        Err(Error::Internal(e)) => return internal(e),
        Err(e) => return pools_page(&c.svc, layout, None, Some(e.to_string()), def.name).await,
    };
    if def.options.mfa_mode != Some(MfaMode::Off) {
        let changes = crate::userpool::pool_definition::PoolMfaChanges {
            mode: def.options.mfa_mode,
            software_token: Some(SoftwareTokenMfaConfig { enabled: Some(true) }),
            ..Default::default()
        };
        if let Err(e) = c.svc.user_pools.set_pool_mfa_config(&pool.id, &changes).await {
            return internal(e);
        }
    }
    let details = serde_json::json!({"after": {"PoolName": pool.name, "Settings": def.options.document()}});
    c.audit(Some(&pool.id), "CreateUserPool", format!("pool:{}", pool.id), details).await;
    see_other(&format!("/admin/pools/{}?notice=created", pool.id))
}

/// A client as the pool page lists it.
pub struct ClientLine {
    pub id: String,
    pub name: String,
    pub has_secret: bool,
    pub callbacks: Vec<String>,
    pub flows: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/pool.html")]
struct PoolPage {
    layout: Layout,
    pool: Pool,
    arn: String,
    users: i64,
    clients: Vec<ClientLine>,
    created: Option<CreatedClient>,
    error: Option<String>,
}

/// A client just created: its secret is shown on this one page and never again.
pub struct CreatedClient {
    pub id: String,
    pub name: String,
    pub secret: Option<String>,
    pub cli: String,
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

impl From<Option<String>> for NoticeQuery {
    fn from(notice: Option<String>) -> Self {
        NoticeQuery { notice }
    }
}

fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "created" => "The pool was created.",
        "user_created" => "The user was created.",
        "changed" => "The change was saved.",
        "deleted" => "The user was deleted.",
        _ => return None,
    };
    Some(text.into())
}

pub(super) fn notice_of(q: &NoticeQuery) -> Option<String> {
    notice(q.notice.as_deref())
}

/// The pool named by the path, or the not-found page.
pub(super) async fn path_pool(svc: &Services, raw: &str) -> Result<Pool, HttpResponse> {
    let missing = || super::message(StatusCode::NOT_FOUND, "No such pool", "There is no user pool with this id.");
    let id = PoolId::parse(raw).filter(|id| !svc.operators.is_system_pool(id)).ok_or_else(missing)?;
    match svc.directory.pool(&id).await {
        Ok(p) => Ok(p),
        Err(Error::ResourceNotFound(_)) => Err(missing()),
        Err(e) => Err(internal(e)),
    }
}

/// `/admin/pools/{pool}`: the pool's settings, its clients, the client form.
pub async fn show(a: InPool<Access<Read>>, q: crate::web::Query<NoticeQuery>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    pool_page(&a.svc, Layout::of(&a.op, "pools", notice_of(&q)), pool, None, None).await
}

async fn pool_page(
    svc: &Services,
    layout: Layout,
    pool: Pool,
    created: Option<CreatedClient>,
    error: Option<String>,
) -> HttpResponse {
    let (rows, _) = match svc.user_pools.list_clients(&pool.id, 60, None).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let mut clients = Vec::new();
    for row in rows {
        let client = match svc.directory.client(&pool.id, &row.id).await {
            Ok(c) => c,
            Err(e) => return internal(e),
        };
        let flows = client.config["AllowedOAuthFlows"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        clients.push(ClientLine {
            id: client.id.to_string(),
            name: client.name.clone(),
            has_secret: client.secret.is_some(),
            callbacks: client.callback_urls().to_vec(),
            flows,
        });
    }
    let description = match svc.user_pools.describe_pool(pool).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page(
        status,
        &PoolPage {
            layout,
            arn: description.arn,
            users: description.estimated_number_of_users,
            pool: description.pool,
            clients,
            created,
            error,
        },
    )
}

/// The client form as CreateUserPoolClient's command.
fn new_client(c: &Change<Configure>) -> NewClient {
    let f = &c.form;
    let flows: Vec<OAuthFlow> = f.all("flow").iter().filter_map(|v| OAuthFlow::parse(v)).collect();
    let callbacks = f.lines("callback_urls");
    let logouts = f.lines("logout_urls");
    let scopes = f.all("scope");
    NewClient {
        name: f.get("name").trim().to_string(),
        generate_secret: f.checked("generate_secret"),
        secret: None,
        definition: ClientDefinition {
            oauth_enabled: Some(!flows.is_empty()),
            allowed_oauth_flows: Some(flows).filter(|v| !v.is_empty()),
            callback_urls: Some(callbacks).filter(|v| !v.is_empty()),
            logout_urls: Some(logouts).filter(|v| !v.is_empty()),
            allowed_oauth_scopes: Some(scopes).filter(|v| !v.is_empty()),
            supported_identity_providers: Some(vec!["COGNITO".into()]),
            ..Default::default()
        },
    }
}

/// The AWS CLI command that creates the same client.
fn cli_command(svc: &Services, pool: &PoolId, new: &NewClient) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let d = &new.definition;
    let mut cmd = format!(
        "aws cognito-idp create-user-pool-client --endpoint-url {} --user-pool-id {pool} --client-name {}",
        svc.config.public_url,
        quote(&new.name)
    );
    if new.generate_secret {
        cmd.push_str(" --generate-secret");
    }
    let list = |items: &[String]| items.iter().map(|i| quote(i)).collect::<Vec<_>>().join(" ");
    if let Some(flows) = &d.allowed_oauth_flows {
        let names: Vec<String> = flows.iter().map(|f| f.as_str().to_string()).collect();
        cmd.push_str(&format!(" --allowed-o-auth-flows {} --allowed-o-auth-flows-user-pool-client", list(&names)));
    }
    if let Some(scopes) = &d.allowed_oauth_scopes {
        cmd.push_str(&format!(" --allowed-o-auth-scopes {}", list(scopes)));
    }
    if let Some(urls) = &d.callback_urls {
        cmd.push_str(&format!(" --callback-urls {}", list(urls)));
    }
    if let Some(urls) = &d.logout_urls {
        cmd.push_str(&format!(" --logout-urls {}", list(urls)));
    }
    cmd.push_str(" --supported-identity-providers COGNITO");
    cmd
}

/// `POST /admin/pools/{pool}/clients`: create an app client (admins); the page shows its
/// secret this once.
pub async fn create_client(c: InPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let new = new_client(&c);
    let layout = Layout::of(&c.op, "pools", None);
    if new.name.is_empty() || new.name.chars().count() > 128 {
        return pool_page(&c.svc, layout, pool, None, Some("A client name has 1 to 128 characters.".into())).await;
    }
    match c.svc.user_pools.create_client(&pool.id, &new).await {
        Ok(client) => {
            let details =
                serde_json::json!({"after": new.definition.document(), "GenerateSecret": new.generate_secret});
            c.audit(Some(&pool.id), "CreateUserPoolClient", format!("client:{}", client.id), details).await;
            let created = CreatedClient {
                id: client.id.to_string(),
                name: client.name.clone(),
                secret: client.secret.clone(),
                cli: cli_command(&c.svc, &pool.id, &new),
            };
            let layout = Layout::of(&c.op, "pools", Some("The app client was created.".into()));
            pool_page(&c.svc, layout, pool, Some(created), None).await
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => pool_page(&c.svc, layout, pool, None, Some(e.to_string())).await,
    }
}

/// The link to a user's page.
pub fn user_link(pool: &str, username: &str) -> String {
    format!("/admin/pools/{pool}/users/{}", segment(username))
}
