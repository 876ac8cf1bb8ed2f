//! The branding preview on an app client's page: the client's hosted pages as its users meet
//! them, with the style sheet and logo stored now, in every language, framed in the dashboard
//! (`/admin/pools/{pool}/clients/{client}/preview/{page}?lang=…`, viewers and up), and links
//! that open the real pages in a new tab. The dashboard imports no other surface: the hosted
//! UI renders the previews through the port startup hands over ([`Previews`]), which also holds
//! their policy (framed by the dashboard only, sandboxed, no cookie, no form that can be sent).

use super::clients::path_client;
use super::{Access, Read};
use crate::authorization::request::AuthorizeParams;
use crate::i18n::Lang;
use crate::services::Services;
use crate::userpool::model::{Client, Pool};
use crate::web::preview::{Links, Preview, PreviewPage, Previews};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};

/// One language's preview on the client's page.
pub struct Frame {
    pub lang: &'static str,
    pub name: &'static str,
    /// The framed preview.
    pub src: String,
    /// The real hosted page, opened in a new tab.
    pub open: String,
}

/// A page the previews can show, and whether they show it now.
pub struct PageChoice {
    pub path: &'static str,
    pub title: &'static str,
    pub current: bool,
}

/// Where the previews of a client live.
fn base(pool: &Pool, client: &Client) -> String {
    format!("/admin/pools/{}/clients/{}/preview", pool.id, client.id)
}

/// The pages the previews can show for this pool (sign-up only when users may sign up), the
/// one asked for (`?preview=`, sign-in by default) marked.
pub fn pages(pool: &Pool, asked: Option<&str>) -> (PreviewPage, Vec<PageChoice>) {
    let offered: Vec<PreviewPage> =
        PreviewPage::ALL.into_iter().filter(|p| *p != PreviewPage::SignUp || !pool.admin_create_user_only()).collect();
    let shown = asked.and_then(PreviewPage::from_path).filter(|p| offered.contains(p)).unwrap_or(PreviewPage::Login);
    let choices =
        offered.into_iter().map(|p| PageChoice { path: p.path(), title: p.title(), current: p == shown }).collect();
    (shown, choices)
}

/// A frame per language showing `page`, beside the link to the real sign-in page (none when the
/// client has no hosted pages: no callback URL, or neither the code nor the implicit flow).
pub fn frames(svc: &Services, pool: &Pool, client: &Client, page: PreviewPage) -> Vec<Frame> {
    Lang::ALL
        .iter()
        .filter_map(|lang| {
            let params = AuthorizeParams::sample(client, lang.code())?;
            Some(Frame {
                lang: lang.code(),
                name: lang.name(),
                src: Links::new(base(pool, client), *lang).to(page),
                open: format!("{}/oauth2/authorize?{}", svc.tokens.issuer(&pool.id), params.query()),
            })
        })
        .collect()
}

/// `GET /admin/pools/{pool}/clients/{client}/preview/{page}?lang=…`: the page in the language
/// the hosted pages would pick for this request (its `lang`, else `Accept-Language`).
pub async fn show(a: Access<Read>, path: Path<(String, String, String)>, previews: Data<Previews>) -> HttpResponse {
    let (pool_raw, id, page) = path.into_inner();
    let Some(page) = PreviewPage::from_path(&page) else {
        return super::message(StatusCode::NOT_FOUND, "No such page", "There is no preview of this page.");
    };
    let (pool, client) = match path_client(&a.svc, &id, &pool_raw).await {
        Ok(x) => x,
        Err(resp) => return resp,
    };
    let links = Links::new(base(&pool, &client), crate::web::request_lang(&a.req));
    previews.show(&a.req, &a.svc, Preview { pool, client, page, links }).await
}
