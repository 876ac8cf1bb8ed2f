//! The hosted pages as the dashboard previews them ([`crate::web::preview`]): the flow a user of
//! the client starts ([`Flow::preview`]), then the page's own handler, so the preview is the page
//! a user meets (template, language, branding, links, the pool's and client's settings), inert.

use super::kit::{Flow, PageQuery};
use super::{login, recovery, signup};
use crate::services::Services;
use crate::web::Query;
use crate::web::preview::{Preview, PreviewPage};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// Render `p` (a [`crate::web::preview::Render`]; the answer leaves through the port's policy).
pub fn render(req: HttpRequest, svc: Arc<Services>, p: Preview) -> LocalBoxFuture<'static, HttpResponse> {
    Box::pin(async move {
        let flow = match Flow::preview(&req, &svc, &p).await {
            Ok(flow) => flow,
            Err(page) => return page,
        };
        match p.page {
            PreviewPage::Login => login::show(flow, Query(PageQuery::default())).await,
            PreviewPage::SignUp => signup::show_signup(flow).await,
            PreviewPage::ForgotPassword => recovery::show_forgot(flow, Query(PageQuery::default())).await,
        }
    })
}
