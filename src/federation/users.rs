//! The pool user an upstream identity signs in as. A linked identity (AdminLinkProviderForUser)
//! signs in as its native user; otherwise the first sign-in creates `{ProviderName}_{id}` with
//! status EXTERNAL_PROVIDER, and every sign-in refreshes the attributes the mapping names.

use super::Federation;
use super::{Claims, Provider, UpstreamError, UpstreamResult};
use crate::store::StoreError;
use crate::store::federation::UserIdentityRow;
use crate::store::users::UserRow;
use crate::userpool::attributes;
use crate::userpool::error::Error;
use crate::userpool::linked_identities::{EXTERNAL_PROVIDER, IDENTITIES, federated_username, identity_entry};
use crate::userpool::model::Pool;
use crate::userpool::user_triggers::{
    TriggerInput, post_authentication, post_confirmation, pre_authentication, pre_sign_up,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What a disabled user's federated sign-in answers.
pub const DISABLED: &str = "User is disabled.";

/// A claim as an attribute value: strings as they are, booleans and numbers in their JSON
/// spelling, objects (an OIDC `address`) as JSON text.
fn attribute_value(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(_) | Value::Number(_) => Some(v.to_string()),
        other => Some(other.to_string()),
    }
}

/// The upstream user id: the claim mapped to `username` (`sub`, or Facebook's `id`).
pub fn upstream_user_id(p: &Provider, claims: &Claims) -> UpstreamResult<String> {
    let claim = p.mapping.get("username").map(String::as_str).unwrap_or("sub");
    claims
        .get(claim)
        .and_then(attribute_value)
        .filter(|s| !s.is_empty() && s.len() <= 128)
        .ok_or_else(|| UpstreamError::invalid(format!("The IdP did not return the user id claim {claim}")))
}

/// Pool attributes from the upstream claims, as the mapping says. Attributes the pool does not
/// have, and ones no user may hold (`sub`, `identities`), are left out.
pub fn mapped_attributes(pool: &Pool, p: &Provider, claims: &Claims) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (attr, claim) in &p.mapping {
        if matches!(attr.as_str(), "username" | "sub" | IDENTITIES) || pool.schema_attribute(attr).is_none() {
            continue;
        }
        if let Some(v) = claims.get(claim).and_then(attribute_value) {
            let v = if attr.ends_with("_verified") { v.eq_ignore_ascii_case("true").to_string() } else { v };
            out.insert(attr.clone(), v.chars().take(2048).collect());
        }
    }
    out
}

/// A trigger's failure as the federation answers it: the function's words to the app (the
/// callback's `error_description` or the hosted error page), an internal error as one.
fn refused(e: Error, internal: &dyn Fn(&dyn std::fmt::Display) -> UpstreamError) -> UpstreamError {
    match e {
        Error::Internal(e) => internal(&e),
        e => UpstreamError::invalid(e.to_string()),
    }
}

impl Federation {
    /// Sign an upstream identity in as a pool user (for app client `client_id`), creating or
    /// refreshing it.
    pub async fn federated_user(
        &self,
        pool: &Pool,
        p: &Provider,
        claims: &Claims,
        client_id: Option<&str>,
    ) -> UpstreamResult<UserRow> {
        let internal = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "federated user lookup failed");
            UpstreamError { error: "server_error", description: "An internal error occurred".into() }
        };
        let uid = upstream_user_id(p, claims)?;
        let linked = self.store.get_user_identity(&pool.id, &p.name, &uid).await.map_err(|e| internal(&e))?;
        let user = match linked {
            Some(link) => self.store.get_user(&link.user_id).await.map_err(|e| internal(&e))?,
            None => None,
        };
        let user = match user {
            Some(u) if u.status != EXTERNAL_PROVIDER => u,
            Some(u) => self.refresh_federated(pool, p, claims, u).await.map_err(|e| internal(&e))?,
            None => self.first_federated_sign_in(pool, p, claims, &uid, client_id).await?,
        };
        if !user.enabled {
            return Err(UpstreamError::invalid(DISABLED));
        }
        // As Cognito, every federated sign-in passes PreAuthentication (a refusal ends it like
        // any failed federation) and is followed by PostAuthentication.
        let client = client_id.unwrap_or("CLIENT_ID_NOT_APPLICABLE");
        let input = TriggerInput::default();
        pre_authentication(&self.triggers, pool, client, Some(&user), user.username.as_str(), &input)
            .await
            .map_err(|e| refused(e, &internal))?;
        post_authentication(&self.triggers, pool, client, &user, false).await;
        Ok(user)
    }

    async fn first_federated_sign_in(
        &self,
        pool: &Pool,
        p: &Provider,
        claims: &Claims,
        uid: &str,
        client_id: Option<&str>,
    ) -> UpstreamResult<UserRow> {
        let internal = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "creating a federated user failed");
            UpstreamError { error: "server_error", description: "An internal error occurred".into() }
        };
        let username = federated_username(&p.name, uid);
        let key = pool.lookup_key(&username);
        // A user from an earlier sign-in whose link was removed, or one created concurrently.
        if let Some(existing) = self.store.get_user_by_username(&pool.id, &key).await.map_err(|e| internal(&e))? {
            return self.refresh_federated(pool, p, claims, existing).await.map_err(|e| internal(&e));
        }
        let now = self.now();
        let mut attrs = mapped_attributes(pool, p, claims);
        let missing = attributes::missing_required(pool, &attrs);
        if !missing.is_empty() {
            return Err(UpstreamError::invalid(format!(
                "Attributes did not conform to the schema: {}",
                missing.iter().map(|m| format!("{m}: The attribute {m} is required")).collect::<Vec<_>>().join(", ")
            )));
        }
        // PreSignUp_ExternalProvider before the user is written: a refusal writes nothing and
        // reaches the app as the callback's error_description. Only autoVerifyEmail /
        // autoVerifyPhone apply (a federated user is never confirmed by code).
        let (source, input) = ("PreSignUp_ExternalProvider", TriggerInput::default());
        let decided = pre_sign_up(&self.triggers, pool, source, &username, client_id, &attrs, &input).await;
        decided.and_then(|d| d.verify(&mut attrs)).map_err(|e| refused(e, &internal))?;
        let link = UserIdentityRow {
            pool_id: pool.id.clone(),
            provider_name: p.name.clone(),
            provider_user_id: uid.to_string(),
            user_id: uuid::Uuid::new_v4().to_string().into(),
            created_at: now,
        };
        let entry = identity_entry(&link, p.identity_issuer().as_deref(), true);
        attrs.insert(IDENTITIES.into(), json!([entry]).to_string());
        let user = UserRow {
            id: link.user_id.clone(),
            pool_id: pool.id.clone(),
            username_key: key.clone(),
            username: username.into(),
            status: EXTERNAL_PROVIDER.into(),
            enabled: true,
            password_hash: None,
            srp_verifier: None,
            password_set_at: None,
            attributes: attrs,
            tokens_valid_after: 0,
            created_at: now,
            updated_at: now,
        };
        // Federated users hold no sign-in aliases: they never sign in with a password.
        match self.store.insert_user(&user, &[], &attributes::search_values(&user.attributes)).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                let existing = self.store.get_user_by_username(&pool.id, &key).await.map_err(|e| internal(&e))?;
                return existing.ok_or_else(|| internal(&"user vanished during a concurrent sign-in"));
            }
            Err(e) => return Err(internal(&e)),
        }
        match self.store.insert_user_identity(&link).await {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(internal(&e)),
        }
        // The first sign-in confirmed the user (the provider vouched for them): PostConfirmation
        // follows, with Cognito's source.
        let source = "PostConfirmation_ConfirmSignUp";
        post_confirmation(&self.triggers, pool, source, client_id, &user, &input).await;
        Ok(user)
    }

    /// Write the mapped attributes of a federated user when the upstream changed them.
    async fn refresh_federated(
        &self,
        pool: &Pool,
        p: &Provider,
        claims: &Claims,
        mut user: UserRow,
    ) -> Result<UserRow, StoreError> {
        let mapped = mapped_attributes(pool, p, claims);
        if mapped.iter().all(|(k, v)| user.attributes.get(k) == Some(v)) {
            return Ok(user);
        }
        // A new address from upstream is not verified unless a mapped claim says so.
        attributes::unverify_changed(&mut user.attributes, &mapped);
        user.attributes.extend(mapped);
        user.updated_at = self.now();
        self.store.update_user(&user, &[], &attributes::search_values(&user.attributes)).await?;
        Ok(user)
    }
}
