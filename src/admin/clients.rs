//! An app client's page: its settings as a form (callback and sign-out URLs, OAuth flows and
//! scopes, auth flows, token validities, identity providers, existence errors, revocation) and
//! deletion. Saving starts from the client's stored settings, so what the form does not show
//! (read/write attributes, analytics, refresh-token rotation) is kept; the update itself is
//! UpdateUserPoolClient's. Its branding (style sheet, logo) with the previews of its hosted
//! pages ([`super::previews`]).

use super::pools::path_pool;
use super::previews::{self, Frame, PageChoice};
use super::{Access, Change, Configure, Layout, Read, internal, page, see_other};
use crate::ids::ClientId;
use crate::services::Services;
use crate::userpool::client_definition::{
    ClientDefinition, ExplicitAuthFlow, OAuthFlow, TimeUnit, UserExistenceErrors,
};
use crate::userpool::error::Error;
use crate::userpool::model::{Client, Pool};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;
use serde::Deserialize;

/// A checkbox of the form: its value, its label and whether it is ticked.
pub struct Choice {
    pub value: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "admin/client.html")]
struct ClientPage {
    layout: Layout,
    pool: Pool,
    client: Client,
    callbacks: String,
    logouts: String,
    default_redirect: String,
    flows: Vec<Choice>,
    scopes: Vec<Choice>,
    auth_flows: Vec<Choice>,
    providers: Vec<Choice>,
    validity: [(&'static str, &'static str, i64, &'static str); 3],
    units: [&'static str; 4],
    prevent_existence_errors: bool,
    revocation: bool,
    css: String,
    /// The branding preview: a frame per language of the page chosen among `preview_pages`.
    frames: Vec<Frame>,
    preview_pages: Vec<PageChoice>,
    preview_title: &'static str,
    error: Option<String>,
}

fn choices(all: Vec<String>, ticked: &[String]) -> Vec<Choice> {
    all.into_iter().map(|v| Choice { checked: ticked.contains(&v), value: v }).collect()
}

/// The scopes a client of the pool may be given: the standard ones and the resource servers'.
async fn scope_names(svc: &Services, pool: &Pool) -> Result<Vec<String>, Error> {
    let mut all: Vec<String> = ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (servers, _) = svc.user_pools.list_resource_servers(&pool.id, 50, None).await?;
    for rs in servers {
        for scope in rs.scopes.as_array().into_iter().flatten() {
            if let Some(name) = scope["ScopeName"].as_str() {
                all.push(format!("{}/{name}", rs.identifier));
            }
        }
    }
    Ok(all)
}

async fn client_page(
    svc: &Services,
    layout: Layout,
    pool: Pool,
    client: Client,
    preview: Option<&str>,
    error: Option<String>,
) -> HttpResponse {
    let scopes = match scope_names(svc, &pool).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let (providers, _) = match svc.user_pools.list_identity_providers(&pool.id, 50, None).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    let css = match svc.user_pools.branding_css(&pool.id, &client.id).await {
        Ok(c) => c.map(|(css, _)| css).unwrap_or_default(),
        Err(e) => return internal(e),
    };
    let (preview_page, preview_pages) = previews::pages(&pool, preview);
    let frames = previews::frames(svc, &pool, &client, preview_page);
    let d = client.definition();
    let units = &d.token_validity_units;
    let given_scopes: Vec<String> = client.allowed_oauth_scopes().iter().map(|s| s.to_string()).collect();
    let given_flows: Vec<String> = client.allowed_oauth_flows().iter().map(|f| f.as_str().to_string()).collect();
    let given_auth: Vec<String> = client.explicit_auth_flows().iter().map(|f| f.as_str().to_string()).collect();
    let mut idps = vec!["COGNITO".to_string()];
    idps.extend(providers.into_iter().map(|p| p.name));
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = ClientPage {
        layout,
        callbacks: client.callback_urls().join("\n"),
        logouts: client.logout_urls().join("\n"),
        default_redirect: d.default_redirect_uri.clone().unwrap_or_default(),
        flows: choices(OAuthFlow::ALL.iter().map(|f| f.as_str().to_string()).collect(), &given_flows),
        scopes: choices(scopes, &given_scopes),
        auth_flows: choices(
            ExplicitAuthFlow::ALL.iter().filter(|f| !f.is_legacy()).map(|f| f.as_str().to_string()).collect(),
            &given_auth,
        ),
        providers: choices(idps, client.supported_identity_providers()),
        validity: [
            ("access", "Access token", client.access_token_secs() / units.access().seconds(), units.access().as_str()),
            ("id", "ID token", client.id_token_secs() / units.id().seconds(), units.id().as_str()),
            (
                "refresh",
                "Refresh token",
                client.refresh_token_secs() / units.refresh().seconds(),
                units.refresh().as_str(),
            ),
        ],
        units: ["seconds", "minutes", "hours", "days"],
        prevent_existence_errors: client.prevents_user_existence_errors(),
        revocation: client.token_revocation_enabled(),
        css,
        frames,
        preview_pages,
        preview_title: preview_page.title(),
        pool,
        client,
        error,
    };
    crate::web::preview::embedding(page(status, &body))
}

pub(super) async fn path_client(svc: &Services, raw: &str, pool_raw: &str) -> Result<(Pool, Client), HttpResponse> {
    let pool = path_pool(svc, pool_raw).await?;
    let missing =
        || super::message(StatusCode::NOT_FOUND, "No such app client", "The pool has no app client with this id.");
    let id = ClientId::parse(raw).ok_or_else(missing)?;
    match svc.directory.client(&pool.id, &id).await {
        Ok(c) => Ok((pool, c)),
        Err(Error::ResourceNotFound(_)) => Err(missing()),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Deserialize)]
pub struct ClientQuery {
    /// The page the branding previews show (`login`, `signup`, `forgotPassword`).
    preview: Option<String>,
}

/// `/admin/pools/{pool}/clients/{client}` (`?preview=signup`: the previews show that page).
pub async fn show(a: Access<Read>, path: Path<(String, String)>, q: crate::web::Query<ClientQuery>) -> HttpResponse {
    let (pool_raw, id) = path.into_inner();
    match path_client(&a.svc, &id, &pool_raw).await {
        Ok((pool, client)) => {
            let layout = Layout::of(&a.op, "pools", None);
            client_page(&a.svc, layout, pool, client, q.preview.as_deref(), None).await
        }
        Err(resp) => resp,
    }
}

/// The form applied to the client's current settings.
fn changed(c: &Change<Configure>, mut d: ClientDefinition) -> Result<ClientDefinition, String> {
    let f = &c.form;
    let flows: Vec<OAuthFlow> = f.all("flow").iter().filter_map(|v| OAuthFlow::parse(v)).collect();
    let list = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
    d.oauth_enabled = Some(!flows.is_empty());
    d.allowed_oauth_flows = Some(flows).filter(|v| !v.is_empty());
    d.allowed_oauth_scopes = list(f.all("scope"));
    d.callback_urls = list(f.lines("callback_urls"));
    d.logout_urls = list(f.lines("logout_urls"));
    d.default_redirect_uri = f.text("default_redirect_uri");
    d.explicit_auth_flows = Some(f.all("auth_flow").iter().filter_map(|v| ExplicitAuthFlow::parse(v)).collect());
    d.supported_identity_providers = list(f.all("idp"));
    d.prevent_user_existence_errors = Some(if f.checked("prevent_existence_errors") {
        UserExistenceErrors::Enabled
    } else {
        UserExistenceErrors::Legacy
    });
    d.enable_token_revocation = Some(f.checked("revocation"));
    for (kind, what) in [("access", "access token"), ("id", "ID token"), ("refresh", "refresh token")] {
        let value = match f.text(&format!("{kind}_validity")).map(|v| v.parse::<i64>()) {
            None => None,
            Some(Ok(n)) if n > 0 => Some(n),
            Some(_) => return Err(format!("The {what} validity is a whole number above 0.")),
        };
        let unit = TimeUnit::parse(f.get(&format!("{kind}_unit")));
        match kind {
            "access" => (d.access_token_validity, d.token_validity_units.access_token) = (value, unit),
            "id" => (d.id_token_validity, d.token_validity_units.id_token) = (value, unit),
            _ => (d.refresh_token_validity, d.token_validity_units.refresh_token) = (value, unit),
        }
    }
    Ok(d)
}

/// `POST /admin/pools/{pool}/clients/{client}`: save (admins).
pub async fn save(c: Change<Configure>, path: Path<(String, String)>) -> HttpResponse {
    let (pool_raw, id) = path.into_inner();
    let (pool, client) = match path_client(&c.svc, &id, &pool_raw).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let layout = Layout::of(&c.op, "pools", None);
    let before = client.definition();
    let d = match changed(&c, before.clone()) {
        Ok(d) => d,
        Err(e) => return client_page(&c.svc, layout, pool, client, None, Some(e)).await,
    };
    let name = c.form.text("name");
    match c.svc.user_pools.update_client(&pool.id, &client.id, name.as_deref(), &d).await {
        Ok(updated) => {
            let details = crate::events::changes(
                &serde_json::json!({"ClientName": client.name, "Settings": before.document()}),
                &serde_json::json!({"ClientName": updated.name, "Settings": d.document()}),
            );
            c.audit(Some(&pool.id), "UpdateUserPoolClient", format!("client:{}", client.id), details).await;
            see_other(&format!("/admin/pools/{}/clients/{}?notice=changed", pool.id, client.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => client_page(&c.svc, layout, pool, client, None, Some(e.to_string())).await,
    }
}

/// `POST /admin/pools/{pool}/clients/{client}/branding`: the client's style sheet (admins), kept
/// to Cognito's allowed classes and properties by the service.
pub async fn branding(c: Change<Configure>, path: Path<(String, String)>) -> HttpResponse {
    let (pool_raw, id) = path.into_inner();
    let (pool, client) = match path_client(&c.svc, &id, &pool_raw).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let css = c.form.get("css").to_string();
    match c.svc.user_pools.set_branding_css(&pool.id, Some(&client.id), &css).await {
        Ok(_) => {
            c.audit(
                Some(&pool.id),
                "SetUICustomization",
                format!("client:{}", client.id),
                serde_json::json!({"CSS": css}),
            )
            .await;
            see_other(&format!("/admin/pools/{}/clients/{}", pool.id, client.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => client_page(&c.svc, Layout::of(&c.op, "pools", None), pool, client, None, Some(e.to_string())).await,
    }
}

/// `POST /admin/pools/{pool}/clients/{client}/logo`: the client's logo (a PNG or JPEG file of at
/// most 100 KB, checked by the service); the style sheet stays (admins).
pub async fn logo(u: super::upload::Upload<Configure>, path: Path<(String, String)>) -> HttpResponse {
    let c = &u.change;
    let (pool_raw, id) = path.into_inner();
    let (pool, client) = match path_client(&c.svc, &id, &pool_raw).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let layout = Layout::of(&c.op, "pools", None);
    let Some(bytes) = &u.file else {
        return client_page(&c.svc, layout, pool, client, None, Some("Choose a PNG or JPEG file.".into())).await;
    };
    let css = match c.svc.user_pools.branding_css(&pool.id, &client.id).await {
        Ok(css) => css.map(|(css, _)| css),
        Err(e) => return internal(e),
    };
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    };
    match c.svc.user_pools.set_ui_customization(&pool.id, Some(&client.id), css.as_deref(), Some(&b64)).await {
        Ok(_) => {
            let details = serde_json::json!({"LogoBytes": bytes.len()});
            c.audit(Some(&pool.id), "SetUICustomization", format!("client:{}", client.id), details).await;
            see_other(&format!("/admin/pools/{}/clients/{}", pool.id, client.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => client_page(&c.svc, layout, pool, client, None, Some(e.to_string())).await,
    }
}

/// `POST /admin/pools/{pool}/clients/{client}/delete` (admins, with the confirmation box).
pub async fn delete(c: Change<Configure>, path: Path<(String, String)>) -> HttpResponse {
    let (pool_raw, id) = path.into_inner();
    let (pool, client) = match path_client(&c.svc, &id, &pool_raw).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    if !c.form.checked("confirm") {
        return super::message(StatusCode::BAD_REQUEST, "Not deleted", "Tick the box to confirm the deletion.");
    }
    match c.svc.user_pools.delete_client(&pool.id, &client.id).await {
        Ok(()) => {
            c.audit(Some(&pool.id), "DeleteUserPoolClient", format!("client:{}", client.id), serde_json::Value::Null)
                .await;
            see_other(&format!("/admin/pools/{}", pool.id))
        }
        Err(e) => internal(e),
    }
}
