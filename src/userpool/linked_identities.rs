//! Upstream identities of pool users: linking one to an existing user
//! (AdminLinkProviderForUser), cutting it off (AdminDisableProviderForUser), and the
//! `identities` attribute that lists a user's identities, which the federated sign-in
//! refreshes too.

use super::Users;
use super::error::{Error, Result};
use super::identity_providers::is_cognito;
use crate::federation::providers;
use crate::ids::{PoolId, Username};
use crate::store::StoreError;
use crate::store::federation::UserIdentityRow;
use crate::store::users::UserRow;
use serde_json::{Value, json};

/// The status of a user created by a federated sign-in.
pub const EXTERNAL_PROVIDER: &str = "EXTERNAL_PROVIDER";
/// The one ProviderAttributeName this server links by: the upstream user id.
pub const COGNITO_SUBJECT: &str = "Cognito_Subject";
/// Cognito's quota of upstream identities linked to one user.
pub const MAX_LINKED_IDENTITIES: usize = 5;
/// The read-only attribute listing a user's upstream identities.
pub const IDENTITIES: &str = "identities";

/// A `ProviderUserIdentifierType`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderUser {
    pub provider_name: String,
    pub attribute_name: String,
    pub attribute_value: String,
}

/// The username of the user an upstream identity creates at its first sign-in:
/// `{ProviderName}_{upstream user id}`.
pub fn federated_username(provider_name: &str, provider_user_id: &str) -> String {
    format!("{provider_name}_{provider_user_id}")
}

/// One entry of the `identities` attribute. `issuer` is the OIDC provider's `oidc_issuer`
/// (none for Google and Facebook); `primary` is true for the identity that created the user.
/// Cognito writes `primary` and `dateCreated` (epoch milliseconds) as strings.
pub fn identity_entry(identity: &UserIdentityRow, issuer: Option<&str>, primary: bool) -> Value {
    json!({
        "userId": identity.provider_user_id,
        "providerName": identity.provider_name,
        "providerType": providers::type_of_name(&identity.provider_name),
        "issuer": issuer,
        "primary": primary.to_string(),
        "dateCreated": (identity.created_at * 1000).to_string(),
    })
}

fn invalid_attribute_name(name: &str) -> Error {
    Error::invalid(format!("ProviderAttributeName must be {COGNITO_SUBJECT}; got {name}"))
}

impl Users {
    /// The `identities` attribute value for `user`, from the identities linked to it: a JSON
    /// array as a string, or `None` when none is linked.
    pub async fn identities_attribute(&self, user: &UserRow) -> Result<Option<String>> {
        let linked = self.store.identities_of_user(&user.id).await?;
        if linked.is_empty() {
            return Ok(None);
        }
        let pool = self.directory.pool(&user.pool_id).await?;
        let mut entries = Vec::with_capacity(linked.len());
        for i in &linked {
            let issuer = match providers::type_of_name(&i.provider_name) {
                "OIDC" => self
                    .store
                    .get_identity_provider(&i.pool_id, &i.provider_name)
                    .await?
                    .and_then(|p| p.details.get("oidc_issuer").cloned()),
                _ => None,
            };
            let primary = user.status == EXTERNAL_PROVIDER
                && user.username_key == pool.lookup_key(&federated_username(&i.provider_name, &i.provider_user_id));
            entries.push(identity_entry(i, issuer.as_deref(), primary));
        }
        Ok(Some(Value::Array(entries).to_string()))
    }

    /// Recompute `user`'s `identities` attribute from the identities linked to it and save the
    /// user when it changed. Call after linking or unlinking an identity; `user` is updated in
    /// place.
    pub async fn refresh_identities_attribute(&self, user: &mut UserRow) -> Result<()> {
        let value = self.identities_attribute(user).await?;
        if user.attributes.get(IDENTITIES) == value.as_ref() {
            return Ok(());
        }
        match value {
            Some(v) => user.attributes.insert(IDENTITIES.into(), v),
            None => user.attributes.remove(IDENTITIES),
        };
        user.updated_at = self.now();
        let pool = self.directory.pool(&user.pool_id).await?;
        self.save_user(&pool, user).await
    }

    /// AdminLinkProviderForUser: from now on the upstream identity `source` signs in as the
    /// existing pool user `destination` names.
    pub async fn admin_link_provider_for_user(
        &self,
        pool_id: &PoolId,
        destination: &ProviderUser,
        source: &ProviderUser,
    ) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        if !is_cognito(&destination.provider_name) {
            return Err(Error::invalid("DestinationUser ProviderName must be Cognito."));
        }
        if is_cognito(&source.provider_name)
            || self.store.get_identity_provider(&pool.id, &source.provider_name).await?.is_none()
        {
            return Err(Error::invalid(format!(
                "The provider {} does not exist for User Pool {}",
                source.provider_name, pool.id
            )));
        }
        if source.attribute_name != COGNITO_SUBJECT {
            return Err(invalid_attribute_name(&source.attribute_name));
        }
        if source.attribute_value.is_empty() {
            return Err(Error::invalid("SourceUser ProviderAttributeValue must not be empty."));
        }
        let mut user = self.user(&pool, &Username::from(destination.attribute_value.as_str())).await?;
        if user.status == EXTERNAL_PROVIDER {
            return Err(Error::invalid(
                "The destination user is a federated user; link identities to a user of the pool itself.",
            ));
        }
        let already = || {
            Error::AliasExists(
                format!(
                    "{} is already linked to a user of this pool.",
                    federated_username(&source.provider_name, &source.attribute_value)
                )
                .into(),
            )
        };
        let own_user = pool.lookup_key(&federated_username(&source.provider_name, &source.attribute_value));
        if self.store.get_user_identity(&pool.id, &source.provider_name, &source.attribute_value).await?.is_some()
            || self.store.get_user_by_username(&pool.id, &own_user).await?.is_some()
        {
            return Err(already());
        }
        if self.store.identities_of_user(&user.id).await?.len() >= MAX_LINKED_IDENTITIES {
            return Err(Error::LimitExceeded(
                format!("A user can have at most {MAX_LINKED_IDENTITIES} linked identities.").into(),
            ));
        }
        let link = UserIdentityRow {
            pool_id: pool.id.clone(),
            provider_name: source.provider_name.clone(),
            provider_user_id: source.attribute_value.clone(),
            user_id: user.id.clone(),
            created_at: self.now(),
        };
        match self.store.insert_user_identity(&link).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(already()),
            Err(e) => return Err(e.into()),
        }
        self.refresh_identities_attribute(&mut user).await
    }

    /// AdminDisableProviderForUser. For an upstream identity: its link to a pool user is removed
    /// and the user it created at its own first sign-in, if any, is disabled, so the identity
    /// signs in as nobody. For `Cognito` / `Cognito_Subject` / a username: the user can no
    /// longer sign in with a password. Nothing to disable is not an error.
    pub async fn admin_disable_provider_for_user(&self, pool_id: &PoolId, who: &ProviderUser) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        if who.attribute_name != COGNITO_SUBJECT {
            return Err(invalid_attribute_name(&who.attribute_name));
        }
        if is_cognito(&who.provider_name) {
            let user = self.user(&pool, &Username::from(who.attribute_value.as_str())).await?;
            // Cognito stops the native user's password sign-in. Here the user is disabled, as
            // AdminDisableUser does: no password sign-in, sessions and tokens end, and
            // AdminEnableUser undoes it. (Identities linked to the user are refused too.)
            return self.admin_set_enabled(&pool.id, &user.username, false).await;
        }
        if self.store.get_identity_provider(&pool.id, &who.provider_name).await?.is_none() {
            return Err(Error::invalid(format!(
                "The provider {} does not exist for User Pool {}",
                who.provider_name, pool.id
            )));
        }
        let own_key = pool.lookup_key(&federated_username(&who.provider_name, &who.attribute_value));
        let own_user =
            self.store.get_user_by_username(&pool.id, &own_key).await?.filter(|u| u.status == EXTERNAL_PROVIDER);
        let link = self.store.get_user_identity(&pool.id, &who.provider_name, &who.attribute_value).await?;
        // A link to another user is removed; the identity of the user it created stays with
        // that user (now disabled), so AdminEnableUser brings it back.
        if let Some(link) = link.filter(|l| own_user.as_ref().is_none_or(|u| u.id != l.user_id)) {
            self.store.delete_user_identity(&pool.id, &link.provider_name, &link.provider_user_id).await?;
            if let Some(mut linked) = self.store.get_user(&link.user_id).await? {
                self.refresh_identities_attribute(&mut linked).await?;
            }
        }
        if let Some(u) = own_user.filter(|u| u.enabled) {
            self.admin_set_enabled(&pool.id, &u.username, false).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_follow_cognito() {
        let i = UserIdentityRow {
            pool_id: "p".into(),
            provider_name: "Okta".into(),
            provider_user_id: "00u1".into(),
            user_id: "u".into(),
            created_at: 1_700_000_000,
        };
        let e = identity_entry(&i, Some("https://okta.example.com"), false);
        assert_eq!(
            e,
            json!({"userId": "00u1", "providerName": "Okta", "providerType": "OIDC",
                   "issuer": "https://okta.example.com", "primary": "false", "dateCreated": "1700000000000"})
        );
        let g = UserIdentityRow { provider_name: "Google".into(), ..i };
        assert_eq!(identity_entry(&g, None, true)["issuer"], Value::Null);
        assert_eq!(identity_entry(&g, None, true)["providerType"], "Google");
        assert_eq!(federated_username("Google", "123"), "Google_123");
    }
}
