//! The identity browser: an identity's page (DescribeIdentity: its logins, state, and the
//! identity it was merged into), deleting it (DeleteIdentities), and for a pool with a developer
//! provider, unlinking a developer user (UnlinkDeveloperIdentity) and merging two developer
//! users' identities (MergeDeveloperIdentities).
//!
//! An administrator also unlinks a user pool's or a public provider's login. Cognito's API has no
//! such call (UnlinkIdentity takes the login's own token as proof, which an operator does not
//! have); the dashboard trusts its administrators and audits the change.

use super::{
    Access, Change, Configure, Draft, InIdentityPool, Layout, PageQuery, Read, SECTION, date, identity_state, internal,
    message, notice, page, pool_link, pool_page, refusal, see_other, segment, status_of,
};
use crate::identity_pools::error::Error;
use crate::identity_pools::identities::IdentityDescription;
use crate::identity_pools::pools::IdentityPool;
use crate::services::Services;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;

/// Developer users an identity page lists.
const DEVELOPER_USERS: i64 = 60;

fn identity_link(pool: &str, identity: &str) -> String {
    format!("{}/identities/{}", pool_link(pool), segment(identity))
}

/// The identity of the path, if it belongs to the path's pool; else the not-found page.
async fn path_identity(svc: &Services, pool: &IdentityPool, id: &str) -> Result<IdentityDescription, HttpResponse> {
    let missing =
        || message(StatusCode::NOT_FOUND, "No such identity", "The identity pool has no identity with this id.");
    match svc.identity_pools.describe_identity(id).await {
        Ok(d) if d.identity_pool_id == pool.identity_pool_id => Ok(d),
        Ok(_) | Err(Error::ResourceNotFound(_)) => Err(missing()),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Template)]
#[template(path = "admin/identity_identity.html")]
struct IdentityPage {
    layout: Layout,
    pool: IdentityPool,
    pool_link: String,
    link: String,
    identity: IdentityDescription,
    state: &'static str,
    merged_link: Option<String>,
    created: String,
    updated: String,
    developer: Option<String>,
    developer_users: Vec<String>,
    /// Its logins other than the developer provider's, which are unlinked one developer user at a time.
    other_logins: Vec<String>,
    error: Option<String>,
}

async fn identity_page(
    svc: &Services,
    layout: Layout,
    pool: IdentityPool,
    identity: IdentityDescription,
    error: Option<String>,
) -> HttpResponse {
    let developer = pool.developer_provider_name.clone().filter(|d| identity.logins.contains(d));
    let developer_users = match &developer {
        None => Vec::new(),
        Some(_) => match svc
            .identity_pools
            .lookup_developer_identity(&pool.identity_pool_id, Some(&identity.identity_id), None, DEVELOPER_USERS, None)
            .await
        {
            Ok(found) => found.developer_users,
            Err(e) => return internal(e),
        },
    };
    let pool_id = pool.identity_pool_id.clone();
    let other_logins =
        identity.logins.iter().filter(|l| pool.developer_provider_name.as_ref() != Some(*l)).cloned().collect();
    page(
        status_of(error.is_some()),
        &IdentityPage {
            layout,
            pool_link: pool_link(&pool_id),
            link: identity_link(&pool_id, &identity.identity_id),
            state: identity_state(identity.enabled, identity.merged_into.is_some()),
            merged_link: identity.merged_into.as_deref().map(|m| identity_link(&pool_id, m)),
            created: date(identity.created_at),
            updated: date(identity.updated_at),
            pool,
            identity,
            developer,
            developer_users,
            other_logins,
            error,
        },
    )
}

/// `/admin/identity-pools/{id}/identities/{identity}`.
pub async fn show(
    a: InIdentityPool<Access<Read>>,
    path: Path<(String, String)>,
    q: crate::web::Query<PageQuery>,
) -> HttpResponse {
    let (_, identity_id) = path.into_inner();
    let (a, pool) = a.into_parts();
    let identity = match path_identity(&a.svc, &pool, &identity_id).await {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    identity_page(&a.svc, Layout::of(&a.op, SECTION, notice(q.notice.as_deref())), pool, identity, None).await
}

/// `POST …/identities/{identity}/delete`: DeleteIdentities of this one, with the confirmation box.
pub async fn delete(c: InIdentityPool<Change<Configure>>, path: Path<(String, String)>) -> HttpResponse {
    let (_, identity_id) = path.into_inner();
    let (c, pool) = c.into_parts();
    let identity = match path_identity(&c.svc, &pool, &identity_id).await {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    if !c.form.checked("confirm") {
        let error = Some("Tick the confirmation box to delete the identity.".to_string());
        return identity_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, identity, error).await;
    }
    let unprocessed = c.svc.identity_pools.delete_identities(std::slice::from_ref(&identity.identity_id)).await;
    if !unprocessed.is_empty() {
        return internal(anyhow::anyhow!("identity {} not deleted", identity.identity_id));
    }
    let details = serde_json::json!({"before": {"IdentityPoolId": pool.identity_pool_id, "Logins": identity.logins}});
    c.audit(None, "DeleteIdentities", format!("identity:{}", identity.identity_id), details).await;
    see_other(&format!("{}?notice=identity_deleted", pool_link(&pool.identity_pool_id)))
}

/// `POST …/identities/{identity}/unlink`: UnlinkDeveloperIdentity of the developer user `user`.
pub async fn unlink(c: InIdentityPool<Change<Configure>>, path: Path<(String, String)>) -> HttpResponse {
    let (_, identity_id) = path.into_inner();
    let (c, pool) = c.into_parts();
    let identity = match path_identity(&c.svc, &pool, &identity_id).await {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    let Some(dev) = pool.developer_provider_name.clone() else {
        return message(
            StatusCode::BAD_REQUEST,
            "No developer provider",
            "This identity pool has no developer provider.",
        );
    };
    let user = c.form.get("user").to_string();
    let ids = &c.svc.identity_pools;
    match ids.unlink_developer_identity(&pool.identity_pool_id, &dev, &identity.identity_id, &user).await {
        Ok(()) => {
            let details = serde_json::json!({"IdentityPoolId": pool.identity_pool_id, "DeveloperUserIdentifier": user});
            c.audit(None, "UnlinkDeveloperIdentity", format!("identity:{}", identity.identity_id), details).await;
            see_other(&format!("{}?notice=unlinked", identity_link(&pool.identity_pool_id, &identity.identity_id)))
        }
        Err(e) => match refusal(e) {
            Ok(m) => identity_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, identity, Some(m)).await,
            Err(resp) => resp,
        },
    }
}

/// `POST …/identities/{identity}/unlink-login`: remove the login of `provider` (a user pool or a
/// public provider) from the identity.
pub async fn unlink_login(c: InIdentityPool<Change<Configure>>, path: Path<(String, String)>) -> HttpResponse {
    let (_, identity_id) = path.into_inner();
    let (c, pool) = c.into_parts();
    let identity = match path_identity(&c.svc, &pool, &identity_id).await {
        Ok(i) => i,
        Err(resp) => return resp,
    };
    let provider = c.form.get("provider").to_string();
    match c.svc.identity_pools.remove_login(&identity.identity_id, &provider).await {
        Ok(()) => {
            let details = serde_json::json!({"IdentityPoolId": pool.identity_pool_id, "Provider": provider});
            c.audit(None, "UnlinkIdentity", format!("identity:{}", identity.identity_id), details).await;
            see_other(&format!("{}?notice=unlinked", identity_link(&pool.identity_pool_id, &identity.identity_id)))
        }
        Err(e) => match refusal(e) {
            Ok(m) => identity_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, identity, Some(m)).await,
            Err(resp) => resp,
        },
    }
}

/// `POST /admin/identity-pools/{id}/merge`: MergeDeveloperIdentities — the source user's identity
/// merges into the destination user's.
pub async fn merge(c: InIdentityPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let Some(dev) = pool.developer_provider_name.clone() else {
        return message(
            StatusCode::BAD_REQUEST,
            "No developer provider",
            "This identity pool has no developer provider.",
        );
    };
    let (source, destination) = (c.form.get("source").trim(), c.form.get("destination").trim());
    let error = if source.is_empty() || destination.is_empty() {
        "Name the source and the destination developer users.".to_string()
    } else {
        match c.svc.identity_pools.merge_developer_identities(&pool.identity_pool_id, &dev, source, destination).await {
            Ok(survivor) => {
                let details = serde_json::json!({"IdentityPoolId": pool.identity_pool_id,
                    "SourceUserIdentifier": source, "DestinationUserIdentifier": destination});
                c.audit(None, "MergeDeveloperIdentities", format!("identity:{survivor}"), details).await;
                return see_other(&format!("{}?notice=merged", identity_link(&pool.identity_pool_id, &survivor)));
            }
            Err(e) => match refusal(e) {
                Ok(m) => m,
                Err(resp) => return resp,
            },
        }
    };
    let draft = Draft { merge_error: Some(error), ..Draft::default() };
    pool_page(&c.svc, Layout::of(&c.op, SECTION, None), pool, None, draft).await
}
