//! Hosted-UI branding: SetUICustomization and GetUICustomization (SigV4-signed). `ImageFile`
//! arrives as base64; `ImageUrl` points at the logo this server serves under the pool.

use super::{ApiError, ApiResult, pool_id_in};
use crate::services::Services;
use crate::userpool::branding::{UiCustomization, logo_extension};
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub tokens: &'a crate::tokens::Tokens,
    pub user_pools: &'a crate::userpool::UserPools,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { tokens: &svc.tokens, user_pools: &svc.user_pools }
    }
}

pub const ACTIONS: &[&str] = &["SetUICustomization", "GetUICustomization"];

/// An optional string member; anything else is a malformed request.
fn optional_str<'a>(i: &'a Value, k: &str) -> Result<Option<&'a str>, ApiError> {
    match &i[k] {
        Value::Null => Ok(None),
        Value::String(v) => Ok(Some(v)),
        _ => Err(ApiError::new(400, "SerializationException", format!("Expected a string for '{k}'"))),
    }
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    let client_id = optional_str(i, "ClientId")?;
    let c = match action {
        "SetUICustomization" => {
            let (css, image) = (optional_str(i, "CSS")?, optional_str(i, "ImageFile")?);
            svc.user_pools.set_ui_customization(&pool_id_in(i)?, client_id, css, image).await?
        }
        "GetUICustomization" => svc.user_pools.ui_customization(&pool_id_in(i)?, client_id).await?,
        _ => return Err(super::unsupported(action)),
    };
    Ok(json!({"UICustomization": ui_customization(svc, &c)}))
}

/// Cognito's `UICustomizationType`.
fn ui_customization(svc: Uses<'_>, c: &UiCustomization) -> Value {
    let mut out = json!({"UserPoolId": c.pool_id, "ClientId": c.client_id});
    if let Some(css) = &c.css {
        out["CSS"] = json!(css);
    }
    if let Some(v) = &c.version {
        out["CSSVersion"] = json!(v);
        if let Some(t) = &c.image_type {
            let url = format!("{}/ui/logo/{}.{}?v={v}", svc.tokens.issuer(&c.pool_id), c.client_id, logo_extension(t));
            out["ImageUrl"] = json!(url);
        }
    }
    if let (Some(created), Some(updated)) = (c.created_at, c.updated_at) {
        out["CreationDate"] = json!(created);
        out["LastModifiedDate"] = json!(updated);
    }
    out
}
