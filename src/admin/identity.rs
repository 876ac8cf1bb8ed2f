//! Identity pools and IAM roles in the dashboard: the identity pools (list, create, a pool's
//! page with its settings and deletion), and, in the modules below, the role mappings editor
//! ([`mappings`]), the identity browser ([`browser`]), IAM roles with the trust policy editor
//! ([`iam_roles`]) and the credential simulator ([`simulator`]).
//!
//! Every page is `Access<Read>`; every change is `Change<Configure>` (identity pools, roles and
//! trust policies are admin settings). Each change goes through the service call of the matching
//! Cognito or IAM action, so a form is refused with the same message the API gives, and is
//! audited under that action's name (outside any user pool: `pool` is empty).

mod browser;
mod iam_roles;
mod mappings;
mod simulator;

use super::{
    Access, Change, Configure, Fields, InIdentityPool, Layout, Read, internal, message, page, see_other, segment,
};
use crate::identity_pools::error::Error;
use crate::identity_pools::pools::{CognitoIdentityProvider, IdentityPool, IdentityPoolDefinition};
use crate::services::Services;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use mappings::RolesForm;

/// The section the layout highlights on these pages.
const SECTION: &str = "identity-pools";
/// Identity pools a page lists, identities the pool page lists.
const POOLS_PER_PAGE: i64 = 50;
const IDENTITIES_PER_PAGE: i64 = 25;
/// User pools (and clients of each) the provider picker offers.
const PICKER_POOLS: i64 = 60;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/identity-pools", web::get().to(list))
        .route("/admin/identity-pools", web::post().to(create))
        .route("/admin/identity-pools/{id}", web::get().to(show))
        .route("/admin/identity-pools/{id}/settings", web::post().to(save_settings))
        .route("/admin/identity-pools/{id}/delete", web::post().to(delete))
        .route("/admin/identity-pools/{id}/roles", web::post().to(mappings::save))
        .route("/admin/identity-pools/{id}/merge", web::post().to(browser::merge))
        .route("/admin/identity-pools/{id}/simulate", web::get().to(simulator::form))
        .route("/admin/identity-pools/{id}/simulate", web::post().to(simulator::run))
        .route("/admin/identity-pools/{id}/identities/{identity}", web::get().to(browser::show))
        .route("/admin/identity-pools/{id}/identities/{identity}/delete", web::post().to(browser::delete))
        .route("/admin/identity-pools/{id}/identities/{identity}/unlink", web::post().to(browser::unlink))
        .route("/admin/identity-pools/{id}/identities/{identity}/unlink-login", web::post().to(browser::unlink_login))
        .route("/admin/iam/roles", web::get().to(iam_roles::list))
        .route("/admin/iam/roles", web::post().to(iam_roles::create))
        .route("/admin/iam/roles/{name}", web::get().to(iam_roles::show))
        .route("/admin/iam/roles/{name}/trust", web::post().to(iam_roles::save_trust))
        .route("/admin/iam/roles/{name}/delete", web::post().to(iam_roles::delete));
}

/// The link to an identity pool's page.
fn pool_link(id: &str) -> String {
    format!("/admin/identity-pools/{}", segment(id))
}

/// The notice after a change (one of a fixed set, never free text).
fn notice(key: Option<&str>) -> Option<String> {
    let text = match key? {
        "created" => "The identity pool was created.",
        "saved" => "The settings were saved.",
        "roles" => "The roles and role mappings were saved.",
        "deleted" => "The identity pool was deleted.",
        "identity_deleted" => "The identity was deleted.",
        "unlinked" => "The developer user was unlinked.",
        "merged" => "The identities were merged.",
        "role_created" => "The role was created.",
        "trust" => "The trust policy was saved.",
        "role_deleted" => "The role was deleted.",
        _ => return None,
    };
    Some(text.into())
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    after: Option<String>,
    notice: Option<String>,
}

/// The identity pool named by the path, or the not-found page.
pub(super) async fn path_pool(svc: &Services, id: &str) -> Result<IdentityPool, HttpResponse> {
    match svc.identity_pools.identity_pool(id).await {
        Ok(p) => Ok(p),
        Err(Error::ResourceNotFound(_)) => {
            Err(message(StatusCode::NOT_FOUND, "No such identity pool", "There is no identity pool with this id."))
        }
        Err(e) => Err(internal(e)),
    }
}

/// A refused change of the identity-pool service: its message on the form (400), or the 500
/// page for an internal error.
fn refusal(e: Error) -> Result<String, HttpResponse> {
    match e {
        Error::Internal(cause) => Err(internal(cause)),
        other => Ok(other.to_string()),
    }
}

/// A time as the dashboard shows it.
fn date(epoch: i64) -> String {
    super::users::date(epoch)
}

fn status_of(error: bool) -> StatusCode {
    if error { StatusCode::BAD_REQUEST } else { StatusCode::OK }
}

/// An identity pool as the list shows it.
pub struct PoolLine {
    pub id: String,
    pub link: String,
    pub name: String,
    pub allow_unauthenticated: bool,
    pub providers: usize,
}

/// A user-pool app client the pool's login providers may include (`CognitoIdentityProviders`):
/// the checkbox's value is `{ProviderName} {ClientId}`.
pub struct ProviderChoice {
    pub value: String,
    pub label: String,
    pub checked: bool,
    pub server_check: bool,
}

/// The settings form (create and edit share it).
pub struct SettingsForm {
    pub name: String,
    pub allow_unauthenticated: bool,
    pub classic_flow: bool,
    pub providers: Vec<ProviderChoice>,
    /// `SupportedLoginProviders`, one `provider = client id` a line.
    pub supported: String,
    pub developer: String,
    /// A developer provider, once set, cannot change (UpdateIdentityPool keeps it).
    pub developer_locked: bool,
    pub oidc_arns: String,
    pub saml_arns: String,
}

impl SettingsForm {
    fn of(pool: &IdentityPool, providers: Vec<ProviderChoice>) -> Self {
        SettingsForm {
            name: pool.identity_pool_name.clone(),
            allow_unauthenticated: pool.allow_unauthenticated_identities,
            classic_flow: pool.allow_classic_flow,
            providers,
            supported: pool.supported_login_providers.iter().map(|(k, v)| format!("{k} = {v}\n")).collect(),
            developer: pool.developer_provider_name.clone().unwrap_or_default(),
            developer_locked: pool.developer_provider_name.is_some(),
            oidc_arns: pool.open_id_connect_provider_arns.iter().map(|a| format!("{a}\n")).collect(),
            saml_arns: pool.saml_provider_arns.iter().map(|a| format!("{a}\n")).collect(),
        }
    }

    fn empty(providers: Vec<ProviderChoice>) -> Self {
        SettingsForm {
            name: String::new(),
            allow_unauthenticated: false,
            classic_flow: false,
            providers,
            supported: String::new(),
            developer: String::new(),
            developer_locked: false,
            oidc_arns: String::new(),
            saml_arns: String::new(),
        }
    }

    /// The form as posted, to show again with its error.
    fn posted(mut self, f: &Fields) -> Self {
        let chosen = f.all("provider");
        let checks = f.all("server_check");
        for p in &mut self.providers {
            p.checked = chosen.contains(&p.value);
            p.server_check = checks.contains(&p.value);
        }
        self.name = f.get("name").to_string();
        self.allow_unauthenticated = f.checked("allow_unauthenticated");
        self.classic_flow = f.checked("classic_flow");
        self.supported = f.get("supported").to_string();
        if !self.developer_locked {
            self.developer = f.get("developer").to_string();
        }
        self.oidc_arns = f.get("oidc_arns").to_string();
        self.saml_arns = f.get("saml_arns").to_string();
        self
    }
}

/// The checkboxes of the provider picker: the pool's current user-pool providers (ticked), then
/// every other app client of the first user pools.
async fn provider_choices(
    svc: &Services,
    current: &[CognitoIdentityProvider],
) -> Result<Vec<ProviderChoice>, HttpResponse> {
    let (pools, _) = svc.user_pools.list_pools(PICKER_POOLS, None).await.map_err(internal)?;
    let mut offered: Vec<(String, String, String)> = Vec::new();
    for pool in &pools {
        let (clients, _) = svc.user_pools.list_clients(&pool.id, PICKER_POOLS, None).await.map_err(internal)?;
        for c in clients {
            offered.push((pool.id.to_string(), c.id.to_string(), format!("{} — {} ({})", pool.name, c.name, c.id)));
        }
    }
    let ids = &svc.identity_pools;
    let mut choices: Vec<ProviderChoice> = current
        .iter()
        .map(|c| {
            let user_pool = ids.user_pool_of_provider_name(&c.provider_name);
            let label = offered
                .iter()
                .find(|(p, client, _)| Some(p) == user_pool.as_ref() && *client == c.client_id)
                .map(|(_, _, l)| l.clone())
                .unwrap_or_else(|| format!("{} ({})", c.provider_name, c.client_id));
            ProviderChoice {
                value: format!("{} {}", c.provider_name, c.client_id),
                label,
                checked: true,
                server_check: c.server_side_token_check,
            }
        })
        .collect();
    for (pool, client, label) in offered {
        let taken = current.iter().any(|c| {
            c.client_id == client && ids.user_pool_of_provider_name(&c.provider_name).as_deref() == Some(pool.as_str())
        });
        if !taken {
            let provider = format!("cognito-idp.{}.amazonaws.com/{pool}", svc.config.region);
            choices.push(ProviderChoice {
                value: format!("{provider} {client}"),
                label,
                checked: false,
                server_check: false,
            });
        }
    }
    Ok(choices)
}

/// The settings form as CreateIdentityPool's / UpdateIdentityPool's command (tags untouched).
fn definition_of(f: &Fields) -> Result<IdentityPoolDefinition, String> {
    let checks = f.all("server_check");
    let mut cognito = Vec::new();
    for value in f.all("provider") {
        let Some((provider, client)) = value.rsplit_once(' ') else {
            return Err(format!("Unreadable user pool provider: {value}"));
        };
        cognito.push(CognitoIdentityProvider {
            provider_name: provider.trim().to_string(),
            client_id: client.trim().to_string(),
            server_side_token_check: checks.contains(&value),
        });
    }
    let mut supported = std::collections::BTreeMap::new();
    for line in f.lines("supported") {
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("Each line of the other login providers reads provider = client id; not: {line}"));
        };
        supported.insert(key.trim().to_string(), value.trim().to_string());
    }
    Ok(IdentityPoolDefinition {
        name: f.get("name").trim().to_string(),
        allow_unauthenticated_identities: f.checked("allow_unauthenticated"),
        allow_classic_flow: f.checked("classic_flow"),
        supported_login_providers: supported,
        developer_provider_name: f.text("developer"),
        open_id_connect_provider_arns: f.lines("oidc_arns"),
        cognito_identity_providers: cognito,
        saml_provider_arns: f.lines("saml_arns"),
        tags: None,
    })
}

#[derive(Template)]
#[template(path = "admin/identity_pools.html")]
struct PoolsPage {
    layout: Layout,
    pools: Vec<PoolLine>,
    next: Option<String>,
    settings: SettingsForm,
    error: Option<String>,
}

async fn pools_page(
    svc: &Services,
    layout: Layout,
    after: Option<&str>,
    settings: SettingsForm,
    error: Option<String>,
) -> HttpResponse {
    let (pools, next) = match svc.identity_pools.list_identity_pools(POOLS_PER_PAGE, after).await {
        Ok(r) => r,
        Err(Error::Internal(e)) => return internal(e),
        Err(e) => return message(StatusCode::BAD_REQUEST, "Unreadable page", &e.to_string()),
    };
    let pools = pools
        .into_iter()
        .map(|p| PoolLine {
            link: pool_link(&p.identity_pool_id),
            providers: p.mapping_keys().len() + usize::from(p.developer_provider_name.is_some()),
            id: p.identity_pool_id,
            name: p.identity_pool_name,
            allow_unauthenticated: p.allow_unauthenticated_identities,
        })
        .collect();
    page(status_of(error.is_some()), &PoolsPage { layout, pools, next, settings, error })
}

/// `/admin/identity-pools`: the identity pools, and (for admins) the form that creates one.
pub async fn list(a: Access<Read>, q: crate::web::Query<PageQuery>) -> HttpResponse {
    let choices = match provider_choices(&a.svc, &[]).await {
        Ok(c) => c,
        Err(resp) => return resp,
    };
    let layout = Layout::of(&a.op, SECTION, notice(q.notice.as_deref()));
    pools_page(&a.svc, layout, q.after.as_deref(), SettingsForm::empty(choices), None).await
}

/// `POST /admin/identity-pools`: CreateIdentityPool.
pub async fn create(c: Change<Configure>) -> HttpResponse {
    let layout = Layout::of(&c.op, SECTION, None);
    let choices = match provider_choices(&c.svc, &[]).await {
        Ok(ch) => ch,
        Err(resp) => return resp,
    };
    let form = SettingsForm::empty(choices).posted(&c.form);
    let def = match definition_of(&c.form) {
        Ok(d) => d,
        Err(e) => return pools_page(&c.svc, layout, None, form, Some(e)).await,
    };
    match c.svc.identity_pools.create_identity_pool(&def).await {
        Ok(pool) => {
            let target = format!("identitypool:{}", pool.identity_pool_id);
            c.audit(None, "CreateIdentityPool", target, serde_json::json!({"after": pool.document()})).await;
            see_other(&format!("{}?notice=created", pool_link(&pool.identity_pool_id)))
        }
        Err(e) => match refusal(e) {
            Ok(m) => pools_page(&c.svc, layout, None, form, Some(m)).await,
            Err(resp) => resp,
        },
    }
}

/// What a pool page shows besides the stored state: a form posted back with its error.
#[derive(Default)]
struct Draft {
    settings: Option<SettingsForm>,
    roles: Option<RolesForm>,
    settings_error: Option<String>,
    roles_error: Option<String>,
    merge_error: Option<String>,
    delete_error: Option<String>,
}

/// An identity as the pool page lists it.
pub struct IdentityLine {
    pub id: String,
    pub link: String,
    pub logins: Vec<String>,
    pub created: String,
    pub updated: String,
    pub state: &'static str,
}

#[derive(Template)]
#[template(path = "admin/identity_pool.html")]
struct PoolPage {
    layout: Layout,
    pool: IdentityPool,
    link: String,
    arn: String,
    settings: SettingsForm,
    roles: RolesForm,
    role_arns: Vec<String>,
    match_types: [&'static str; 4],
    identities: Vec<IdentityLine>,
    after: Option<String>,
    next: Option<String>,
    settings_error: Option<String>,
    roles_error: Option<String>,
    merge_error: Option<String>,
    delete_error: Option<String>,
}

fn identity_state(enabled: bool, merged: bool) -> &'static str {
    match (enabled, merged) {
        (_, true) => "merged",
        (true, false) => "enabled",
        (false, false) => "disabled",
    }
}

async fn pool_page(
    svc: &Services,
    layout: Layout,
    pool: IdentityPool,
    after: Option<&str>,
    draft: Draft,
) -> HttpResponse {
    let id = pool.identity_pool_id.clone();
    let settings = match draft.settings {
        Some(s) => s,
        None => match provider_choices(svc, &pool.cognito_identity_providers).await {
            Ok(choices) => SettingsForm::of(&pool, choices),
            Err(resp) => return resp,
        },
    };
    let roles = match draft.roles {
        Some(r) => r,
        None => match svc.identity_pools.identity_pool_roles(&id).await {
            Ok(r) => RolesForm::of(&pool, &r),
            Err(e) => return internal(e),
        },
    };
    let role_arns = match svc.iam.list_roles(None, None, Some(1000)).await {
        Ok(p) => p.roles.iter().map(|r| svc.iam.role_arn(r)).collect(),
        Err(e) => return internal(e),
    };
    let (rows, next) = match svc.identity_pools.list_identities(&id, IDENTITIES_PER_PAGE, after, false).await {
        Ok(r) => r,
        Err(Error::Internal(e)) => return internal(e),
        Err(e) => return message(StatusCode::BAD_REQUEST, "Unreadable page", &e.to_string()),
    };
    let identities = rows
        .into_iter()
        .map(|d| IdentityLine {
            link: format!("{}/identities/{}", pool_link(&id), segment(&d.identity_id)),
            state: identity_state(d.enabled, d.merged_into.is_some()),
            created: date(d.created_at),
            updated: date(d.updated_at),
            logins: d.logins,
            id: d.identity_id,
        })
        .collect();
    let error = [&draft.settings_error, &draft.roles_error, &draft.merge_error, &draft.delete_error]
        .iter()
        .any(|e| e.is_some());
    let arn = format!("arn:aws:cognito-identity:{}:{}:identitypool/{id}", svc.config.region, svc.config.account_id);
    page(
        status_of(error),
        &PoolPage {
            layout,
            link: pool_link(&id),
            arn,
            pool,
            settings,
            roles,
            role_arns,
            match_types: mappings::MATCH_TYPES,
            identities,
            after: after.map(str::to_string),
            next,
            settings_error: draft.settings_error,
            roles_error: draft.roles_error,
            merge_error: draft.merge_error,
            delete_error: draft.delete_error,
        },
    )
}

/// `/admin/identity-pools/{id}`: settings, roles and role mappings, identities.
pub async fn show(a: InIdentityPool<Access<Read>>, q: crate::web::Query<PageQuery>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    let layout = Layout::of(&a.op, SECTION, notice(q.notice.as_deref()));
    pool_page(&a.svc, layout, pool, q.after.as_deref(), Draft::default()).await
}

/// `POST /admin/identity-pools/{id}/settings`: UpdateIdentityPool with what the form shows;
/// the tags stay.
pub async fn save_settings(c: InIdentityPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let result = match definition_of(&c.form) {
        Ok(def) => c.svc.identity_pools.update_identity_pool(&pool.identity_pool_id, &def).await.map_err(refusal),
        Err(e) => Err(Ok(e)),
    };
    let error = match result {
        Ok(updated) => {
            let details = crate::events::changes(&pool.document(), &updated.document());
            c.audit(None, "UpdateIdentityPool", format!("identitypool:{}", pool.identity_pool_id), details).await;
            return see_other(&format!("{}?notice=saved", pool_link(&pool.identity_pool_id)));
        }
        Err(Ok(m)) => m,
        Err(Err(resp)) => return resp,
    };
    let settings = match provider_choices(&c.svc, &pool.cognito_identity_providers).await {
        Ok(choices) => SettingsForm::of(&pool, choices).posted(&c.form),
        Err(resp) => return resp,
    };
    let draft = Draft { settings: Some(settings), settings_error: Some(error), ..Draft::default() };
    pool_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, None, draft).await
}

/// `POST /admin/identity-pools/{id}/delete`: DeleteIdentityPool, with the confirmation box.
pub async fn delete(c: InIdentityPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    if !c.form.checked("confirm") {
        let draft = Draft {
            delete_error: Some("Tick the confirmation box to delete the identity pool.".into()),
            ..Draft::default()
        };
        return pool_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, None, draft).await;
    }
    match c.svc.identity_pools.delete_identity_pool(&pool.identity_pool_id).await {
        Ok(()) => {
            let target = format!("identitypool:{}", pool.identity_pool_id);
            c.audit(None, "DeleteIdentityPool", target, serde_json::json!({"before": pool.document()})).await;
            see_other("/admin/identity-pools?notice=deleted")
        }
        Err(e) => match refusal(e) {
            Ok(m) => message(StatusCode::BAD_REQUEST, "Not deleted", &m),
            Err(resp) => resp,
        },
    }
}
