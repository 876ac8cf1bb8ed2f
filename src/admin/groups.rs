//! A pool's groups (list, create, delete, members) and its signing keys (what the JWKS
//! publishes, and rotation).

use super::pools::user_link;
use super::{Access, Change, Configure, InPool, Layout, ManageUsers, Read, internal, page, see_other, segment};
use crate::tokens::signer::Alg;
use crate::userpool::error::Error;
use crate::userpool::groups::NewGroup;
use crate::userpool::model::Pool;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;

/// A group as the list shows it.
pub struct GroupLine {
    pub name: String,
    pub link: String,
    pub description: String,
    pub precedence: String,
    pub role_arn: String,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
struct GroupsPage {
    layout: Layout,
    pool: Pool,
    groups: Vec<GroupLine>,
    error: Option<String>,
}

async fn groups_page(
    c: &super::Signed,
    svc: &crate::services::Services,
    pool: Pool,
    error: Option<String>,
    notice: Option<String>,
) -> HttpResponse {
    let (rows, _) = match svc.users.list_groups(&pool.id, 60, None).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let groups = rows
        .into_iter()
        .map(|g| GroupLine {
            link: format!("/admin/pools/{}/groups/{}", pool.id, segment(&g.name)),
            name: g.name,
            description: g.description.unwrap_or_default(),
            precedence: g.precedence.map(|p| p.to_string()).unwrap_or_default(),
            role_arn: g.role_arn.unwrap_or_default(),
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page(status, &GroupsPage { layout: Layout::of(c, "pools", notice), pool, groups, error })
}

/// `/admin/pools/{pool}/groups`.
pub async fn list(a: InPool<Access<Read>>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    groups_page(&a.op, &a.svc, pool, None, None).await
}

/// `POST /admin/pools/{pool}/groups`: CreateGroup.
pub async fn create(c: InPool<Change<ManageUsers>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let name = c.form.get("name").trim().to_string();
    let precedence = match c.form.text("precedence").map(|p| p.parse::<i64>()) {
        Some(Ok(p)) if p >= 0 => Some(p),
        Some(_) => {
            return groups_page(&c.op, &c.svc, pool, Some("Precedence is a whole number from 0.".into()), None).await;
        }
        None => None,
    };
    let group = NewGroup { description: c.form.text("description"), role_arn: c.form.text("role_arn"), precedence };
    match c.svc.users.create_group(&pool.id, &name, &group).await {
        Ok(_) => {
            let details = serde_json::json!({"after": {"Description": group.description, "Precedence": group.precedence, "RoleArn": group.role_arn}});
            c.audit(Some(&pool.id), "CreateGroup", format!("group:{name}"), details).await;
            see_other(&format!("/admin/pools/{}/groups", pool.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => groups_page(&c.op, &c.svc, pool, Some(e.to_string()), None).await,
    }
}

#[derive(Template)]
#[template(path = "admin/group.html")]
struct GroupPage {
    layout: Layout,
    pool: Pool,
    name: String,
    members: Vec<(String, String)>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct AfterQuery {
    after: Option<String>,
}

/// `/admin/pools/{pool}/groups/{name}`: the members, a page at a time.
pub async fn show(
    a: InPool<Access<Read>>,
    path: Path<(String, String)>,
    q: crate::web::Query<AfterQuery>,
) -> HttpResponse {
    let (_, name) = path.into_inner();
    let (a, pool) = a.into_parts();
    match a.svc.users.users_in_group(&pool.id, &name, 50, q.after.as_deref()).await {
        Ok((rows, next)) => {
            let members = rows.iter().map(|u| (u.username.to_string(), user_link(&pool.id, &u.username))).collect();
            page(StatusCode::OK, &GroupPage { layout: Layout::of(&a.op, "pools", None), pool, name, members, next })
        }
        Err(Error::ResourceNotFound(_)) => {
            super::message(StatusCode::NOT_FOUND, "No such group", "The pool has no group with this name.")
        }
        Err(e) => internal(e),
    }
}

/// `POST /admin/pools/{pool}/groups/{name}/delete`: DeleteGroup.
pub async fn delete(c: InPool<Change<ManageUsers>>, path: Path<(String, String)>) -> HttpResponse {
    let (_, name) = path.into_inner();
    let (c, pool) = c.into_parts();
    match c.svc.users.delete_group(&pool.id, &name).await {
        Ok(()) => {
            c.audit(Some(&pool.id), "DeleteGroup", format!("group:{name}"), serde_json::Value::Null).await;
            see_other(&format!("/admin/pools/{}/groups", pool.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => super::message(StatusCode::BAD_REQUEST, "Not deleted", &e.to_string()),
    }
}

/// A signing key as the keys page shows it.
pub struct KeyLine {
    pub kid: String,
    pub alg: String,
    pub state: String,
    pub created: String,
    pub retired: String,
}

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage {
    layout: Layout,
    pool: Pool,
    keys: Vec<KeyLine>,
    jwks_url: String,
    /// The algorithm the active key signs with (what a rotation keeps by default).
    signs_with: String,
    /// Every algorithm the rotate form offers.
    algs: Vec<&'static str>,
}

/// `/admin/pools/{pool}/keys`: the signing keys and what the JWKS publishes.
pub async fn keys(a: InPool<Access<Read>>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    let keys = match a.svc.user_pools.signing_keys(&pool.id).await {
        Ok(k) => k,
        Err(e) => return internal(e),
    };
    let signs_with = keys.iter().find(|k| k.state == "active").map(|k| k.alg.to_string()).unwrap_or_default();
    let keys = keys
        .into_iter()
        .map(|k| KeyLine {
            created: super::users::date(k.created_at),
            retired: k.retired_at.map(super::users::date).unwrap_or_default(),
            alg: k.alg.to_string(),
            kid: k.kid,
            state: k.state,
        })
        .collect();
    let jwks_url = format!("{}/.well-known/jwks.json", a.svc.tokens.issuer(&pool.id));
    let algs = Alg::ALL.into_iter().map(Alg::name).collect();
    let layout = Layout::of(&a.op, "pools", None);
    page(StatusCode::OK, &KeysPage { layout, pool, keys, jwks_url, signs_with, algs })
}

/// `POST /admin/pools/{pool}/keys/retire`: stop publishing a retired key now (admins).
pub async fn retire(c: InPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let kid = c.form.get("kid").to_string();
    match c.svc.user_pools.retire_key_now(&pool.id, &kid).await {
        Ok(true) => {
            c.audit(Some(&pool.id), "RetireSigningKey", format!("key:{kid}"), serde_json::Value::Null).await;
            see_other(&format!("/admin/pools/{}/keys", pool.id))
        }
        Ok(false) => super::message(StatusCode::BAD_REQUEST, "Not removed", "Only a retired key can be removed."),
        Err(e) => internal(e),
    }
}

/// `POST /admin/pools/{pool}/keys/rotate`: the next key becomes active (admins); with `alg`
/// (RS256 or ES256) a key of that algorithm (empty: keep the pool's algorithm).
pub async fn rotate(c: InPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let alg = match c.form.get("alg") {
        "" => None,
        name => match Alg::from_jose(name) {
            Some(a) => Some(a),
            None => return super::message(StatusCode::BAD_REQUEST, "Not rotated", "Choose RS256 or ES256."),
        },
    };
    match c.svc.user_pools.rotate_keys_with(&pool.id, alg).await {
        Ok(kid) => {
            let details = match alg {
                Some(a) => serde_json::json!({"ActiveKid": kid, "Algorithm": a.name()}),
                None => serde_json::json!({"ActiveKid": kid}),
            };
            c.audit(Some(&pool.id), "RotateSigningKeys", format!("pool:{}", pool.id), details).await;
            see_other(&format!("/admin/pools/{}/keys", pool.id))
        }
        Err(e) => internal(e),
    }
}
