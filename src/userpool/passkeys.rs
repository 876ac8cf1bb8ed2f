//! Passkeys (WebAuthn), with webauthn-rs as the relying party: registration by a signed-in user
//! (StartWebAuthnRegistration → CompleteWebAuthnRegistration), their list and removal, and the
//! WEB_AUTHN first factor of USER_AUTH (CREDENTIAL_REQUEST_OPTIONS → CREDENTIAL).
//!
//! The relying party is the pool's `WebAuthnConfiguration.RelyingPartyId`, else the pool's domain
//! (custom first, then its prefix), else the host of `PORTCULLIS_PUBLIC_URL`. Origins allowed:
//! `https://` that domain and its subdomains, the server's own origin when it lies in that domain,
//! and any port of `http://localhost` when the relying party is `localhost` (development).
//! webauthn-rs checks the challenge, origin, relying-party hash, user presence and verification
//! (its passkey policy always requires user verification), the signature and the counter (a
//! counter that goes back is refused as a possibly cloned credential); its state between the two
//! halves of a ceremony is kept in the database, so any node may finish what another started.
//! Only public keys are stored.

use super::SignIn;
use super::auth::{incorrect, session_expired};
use super::error::{Error, Message, Result};
use super::model::{Client, Pool};
use super::pool_definition::WebAuthnConfig;
use super::step::SignInStep;
use crate::crypto::{SecretToken, random_array};
use crate::store::passkeys::PasskeyRow;
use crate::store::users::UserRow;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid,
    Webauthn, WebauthnBuilder, WebauthnError,
};

/// Passkeys a user may hold.
pub const MAX_PASSKEYS: usize = 20;
/// How long a registration may take between its two halves.
const REGISTRATION_SECS: i64 = 300;
/// The challenge a WEB_AUTHN answer is for.
pub const WEB_AUTHN: &str = "WEB_AUTHN";

/// A passkey as ListWebAuthnCredentials shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyDescription {
    pub credential_id: String,
    pub friendly_name: String,
    pub relying_party_id: String,
    pub authenticator_attachment: Option<String>,
    pub transports: Vec<String>,
    pub created_at: i64,
}

impl From<&PasskeyRow> for PasskeyDescription {
    fn from(r: &PasskeyRow) -> Self {
        PasskeyDescription {
            credential_id: r.credential_id.clone(),
            friendly_name: r.friendly_name.clone(),
            relying_party_id: r.relying_party_id.clone(),
            authenticator_attachment: r.authenticator_attachment.clone(),
            transports: serde_json::from_str(&r.transports).unwrap_or_default(),
            created_at: r.created_at,
        }
    }
}

fn webauthn_error(name: &'static str, message: &str) -> Error {
    Error::WebAuthn(name, Message::Text(message.into()))
}

fn not_enabled() -> Error {
    webauthn_error("WebAuthnNotEnabledException", "Passkeys are not enabled for this user pool.")
}

/// SetUserPoolMfaConfig's `WebAuthnConfiguration`: a bare host name, and Cognito's words for the rest.
pub fn check_configuration(w: &WebAuthnConfig) -> Result<()> {
    if let Some(rp) = &w.relying_party_id {
        let bare = !rp.is_empty()
            && rp.len() <= 127
            && rp.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            && !rp.starts_with('.')
            && !rp.ends_with('.');
        if !bare {
            return Err(Error::invalid("RelyingPartyId must be a domain name, without a scheme, port or path."));
        }
    }
    if w.user_verification.as_deref().is_some_and(|v| !["required", "preferred"].contains(&v)) {
        return Err(Error::invalid("UserVerification must be required or preferred."));
    }
    let factors = ["SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION"];
    if w.factor_configuration.as_deref().is_some_and(|v| !factors.contains(&v)) {
        return Err(Error::invalid(
            "FactorConfiguration must be SINGLE_FACTOR or MULTI_FACTOR_WITH_USER_VERIFICATION.",
        ));
    }
    Ok(())
}

/// The pool's passkey settings as stored.
pub fn pool_configuration(pool: &Pool) -> WebAuthnConfig {
    WebAuthnConfig::from_document(&pool.config["WebAuthnConfiguration"])
}

/// Whether the pool lets users sign in with passkeys (and so register them).
pub fn enabled(pool: &Pool) -> bool {
    pool.allowed_first_factors().iter().any(|f| f == WEB_AUTHN)
}

/// A user handle for WebAuthn: the user's sub when it is a UUID (it always is for users made
/// here), else a name-based UUID of it.
fn user_handle(user: &UserRow) -> Uuid {
    Uuid::parse_str(&user.id).unwrap_or_else(|_| {
        let digest = crate::crypto::sha256(user.id.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    })
}

fn credential_id_text(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())
}

impl SignIn {
    /// The relying party when the pool names none: its domain (a custom one first, then its
    /// prefix under the domain base) or, without one, the host of `PORTCULLIS_PUBLIC_URL`.
    async fn default_relying_party(&self, pool: &Pool, public: &Url) -> Result<String> {
        let mut domains = self.store.domains_of_pool(pool.id.as_str()).await?;
        domains.sort_by_key(|d| !d.custom);
        Ok(match domains.first() {
            // Stored as the host it is served at.
            Some(d) => d.domain.to_lowercase(),
            None => public.host_str().unwrap_or("localhost").to_string(),
        })
    }

    /// The pool's relying party and its id.
    async fn relying_party(&self, pool: &Pool) -> Result<(String, Webauthn)> {
        let public = Url::parse(&self.config.public_url).map_err(Error::internal)?;
        let rp_id = match pool_configuration(pool).relying_party_id {
            Some(rp) => rp,
            None => self.default_relying_party(pool, &public).await?,
        };
        let in_domain = |u: &Url| u.host_str().is_some_and(|h| h == rp_id || h.ends_with(&format!(".{rp_id}")));
        let secure = Url::parse(&format!("https://{rp_id}"))
            .map_err(|_| webauthn_error("WebAuthnConfigurationMissingException", "The relying party is not valid."))?;
        let primary = if in_domain(&public) { public.clone() } else { secure.clone() };
        let mut builder = WebauthnBuilder::new(&rp_id, &primary)
            .map_err(|_| webauthn_error("WebAuthnConfigurationMissingException", "The relying party is not valid."))?
            .rp_name(&pool.name)
            .allow_subdomains(true)
            .append_allowed_origin(&secure);
        if rp_id == "localhost" {
            builder = builder.allow_any_port(true);
            if let Ok(local) = Url::parse("http://localhost") {
                builder = builder.append_allowed_origin(&local);
            }
        }
        let webauthn = builder.build().map_err(|e| Error::internal(anyhow::anyhow!("webauthn: {e:?}")))?;
        Ok((rp_id, webauthn))
    }

    async fn passkeys_of(&self, user: &UserRow) -> Result<(Vec<PasskeyRow>, Vec<Passkey>)> {
        let rows = self.store.user_passkeys(&user.id).await?;
        let keys = rows.iter().filter_map(|r| serde_json::from_str::<Passkey>(&r.passkey).ok()).collect();
        Ok((rows, keys))
    }

    /// Whether the user has a passkey to sign in with.
    pub async fn has_passkeys(&self, user: &UserRow) -> Result<bool> {
        Ok(!self.store.user_passkeys(&user.id).await?.is_empty())
    }

    /// StartWebAuthnRegistration: the options for `navigator.credentials.create` (the
    /// `publicKey` member), the user's existing passkeys excluded.
    pub async fn start_passkey_registration(&self, pool: &Pool, client_id: &str, user: &UserRow) -> Result<Value> {
        if !enabled(pool) {
            return Err(not_enabled());
        }
        let (rows, keys) = self.passkeys_of(user).await?;
        if rows.len() >= MAX_PASSKEYS {
            return Err(Error::LimitExceeded(Message::Text(format!(
                "A user can have at most {MAX_PASSKEYS} passkeys."
            ))));
        }
        let (_, webauthn) = self.relying_party(pool).await?;
        let exclude = keys.iter().map(|k| k.cred_id().clone()).collect();
        let display = user.attributes.get("email").cloned().unwrap_or_else(|| user.username.to_string());
        let (options, state) = webauthn
            .start_passkey_registration(user_handle(user), user.username.as_str(), &display, Some(exclude))
            .map_err(|e| Error::internal(anyhow::anyhow!("webauthn registration: {e:?}")))?;
        let state = serde_json::to_string(&state).map_err(Error::internal)?;
        let expires = self.now() + REGISTRATION_SECS;
        self.store.put_passkey_registration(&user.id, client_id, &state, expires).await?;
        serde_json::to_value(options.public_key).map_err(Error::internal)
    }

    /// CompleteWebAuthnRegistration: the authenticator's answer (RegistrationResponseJSON) to
    /// the registration this user started with this client.
    pub async fn complete_passkey_registration(
        &self,
        pool: &Pool,
        client_id: &str,
        user: &UserRow,
        credential: &Value,
    ) -> Result<()> {
        if !enabled(pool) {
            return Err(not_enabled());
        }
        let Some((started_by, state)) = self.store.take_passkey_registration(&user.id, self.now()).await? else {
            return Err(webauthn_error(
                "WebAuthnChallengeNotFoundException",
                "No passkey registration is waiting for this user: start one first.",
            ));
        };
        if started_by != client_id {
            return Err(webauthn_error(
                "WebAuthnClientMismatchException",
                "The registration was started by another app client.",
            ));
        }
        let state: PasskeyRegistration = serde_json::from_str(&state).map_err(Error::internal)?;
        let reg: RegisterPublicKeyCredential = serde_json::from_value(credential.clone())
            .map_err(|e| Error::invalid(format!("Credential is not a WebAuthn registration response: {e}")))?;
        let (rp_id, webauthn) = self.relying_party(pool).await?;
        let passkey = webauthn.finish_passkey_registration(&reg, &state).map_err(registration_refusal)?;
        let transports: Vec<String> = credential["response"]["transports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect();
        let attachment = credential["authenticatorAttachment"].as_str().map(str::to_string);
        let count = self.store.user_passkeys(&user.id).await?.len();
        let row = PasskeyRow {
            pool_id: pool.id.clone(),
            credential_id: credential_id_text(&passkey),
            user_id: user.id.clone(),
            passkey: serde_json::to_string(&passkey).map_err(Error::internal)?,
            friendly_name: format!("Passkey {}", count + 1),
            relying_party_id: rp_id,
            authenticator_attachment: attachment,
            transports: serde_json::to_string(&transports).map_err(Error::internal)?,
            created_at: self.now(),
            last_used_at: None,
        };
        match self.store.insert_passkey(&row).await {
            Ok(()) => Ok(()),
            Err(crate::store::StoreError::Conflict) => Err(Error::invalid("This passkey is already registered.")),
            Err(e) => Err(e.into()),
        }
    }

    /// ListWebAuthnCredentials.
    pub async fn list_passkeys(&self, user: &UserRow) -> Result<Vec<PasskeyDescription>> {
        Ok(self.store.user_passkeys(&user.id).await?.iter().map(PasskeyDescription::from).collect())
    }

    /// DeleteWebAuthnCredential.
    pub async fn delete_passkey(&self, user: &UserRow, credential_id: &str) -> Result<()> {
        if self.store.delete_passkey(&user.id, credential_id).await? {
            Ok(())
        } else {
            Err(Error::ResourceNotFound(Message::Text("The user has no passkey with this credential ID.".into())))
        }
    }

    /// The WEB_AUTHN challenge: the options for `navigator.credentials.get` (the `publicKey`
    /// member) and the session to answer with. For a name no user has, or a user without a
    /// passkey (hidden), options of the same shape naming a credential that does not exist.
    pub(super) async fn passkey_challenge(
        &self,
        pool: &Pool,
        client: &Client,
        user: Option<&UserRow>,
        username: &str,
        hide: bool,
    ) -> Result<(String, Value)> {
        let (rp_id, webauthn) = self.relying_party(pool).await?;
        let keys = match user {
            Some(u) => self.passkeys_of(u).await?.1,
            None => Vec::new(),
        };
        let (Some(user), false) = (user, keys.is_empty()) else {
            if !hide {
                return Err(Error::invalid("WEB_AUTHN is not an available challenge for this user."));
            }
            let phantom = self.codes.phantom_id(pool, username);
            let fake = self.master.mac("phantom-passkey", phantom.as_bytes());
            let options = json!({
                "challenge": URL_SAFE_NO_PAD.encode(random_array::<32>()),
                "timeout": 300000,
                "rpId": rp_id,
                "allowCredentials": [{"type": "public-key", "id": URL_SAFE_NO_PAD.encode(&fake[..16])}],
                "userVerification": "required",
            });
            return Ok((SecretToken::generate().into_clear(), options));
        };
        let (request, state) = webauthn
            .start_passkey_authentication(&keys)
            .map_err(|e| Error::internal(anyhow::anyhow!("webauthn authentication: {e:?}")))?;
        let mut options = serde_json::to_value(request.public_key).map_err(Error::internal)?;
        if hide && let Some(list) = options["allowCredentials"].as_array_mut() {
            // A name with no passkey shows none: neither does a user's.
            for c in list {
                if let Some(c) = c.as_object_mut() {
                    c.remove("transports");
                }
            }
        }
        let data = json!({"state": serde_json::to_value(&state).map_err(Error::internal)?});
        let session = self.open_challenge(pool, client, user, WEB_AUTHN, data).await?;
        Ok((session, options))
    }

    /// RespondToAuthChallenge WEB_AUTHN: the assertion (AuthenticationResponseJSON) for the
    /// pending challenge. Right: signed in, the credential's counter kept. Anything else:
    /// "Incorrect username or password.", the session spent.
    pub(super) async fn passkey_answer(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        credential: &str,
    ) -> Result<SignInStep> {
        let Ok(pending) = self.pending_challenge(client, session).await else {
            return Err(incorrect());
        };
        if pending.challenge != WEB_AUTHN {
            return Err(session_expired());
        }
        if self.store.take_challenge(&pending.id_hash, self.now()).await?.is_none() {
            return Err(session_expired());
        }
        let user = self.store.get_user(&pending.user_id).await?.ok_or_else(session_expired)?;
        let state: PasskeyAuthentication =
            serde_json::from_value(pending.data["state"].clone()).map_err(Error::internal)?;
        let Ok(assertion) = serde_json::from_str::<PublicKeyCredential>(credential) else {
            return Err(Error::invalid("CREDENTIAL is not a WebAuthn authentication response."));
        };
        let (_, webauthn) = self.relying_party(pool).await?;
        let result = match webauthn.finish_passkey_authentication(&assertion, &state) {
            Ok(r) => r,
            Err(e) => {
                tracing::info!(pool = %pool.id, error = ?e, "a passkey assertion was refused");
                return Err(incorrect());
            }
        };
        let id = URL_SAFE_NO_PAD.encode(result.cred_id().as_slice());
        let (rows, _) = self.passkeys_of(&user).await?;
        let Some(row) = rows.iter().find(|r| r.credential_id == id) else {
            return Err(incorrect());
        };
        let mut passkey: Passkey = serde_json::from_str(&row.passkey).map_err(Error::internal)?;
        passkey.update_credential(&result);
        let stored = serde_json::to_string(&passkey).map_err(Error::internal)?;
        self.store.touch_passkey(pool.id.as_str(), &id, &stored, self.now()).await?;
        if !user.enabled {
            return Err(Error::NotAuthorized(Message::UserDisabled));
        }
        if user.status != super::users::CONFIRMED {
            return Err(incorrect());
        }
        Ok(SignInStep::Authenticated { user, auth_time: self.now() })
    }
}

/// A registration webauthn-rs refused, in Cognito's exception names.
fn registration_refusal(e: WebauthnError) -> Error {
    tracing::info!(error = ?e, "a passkey registration was refused");
    match e {
        WebauthnError::InvalidRPOrigin => {
            webauthn_error("WebAuthnOriginNotAllowedException", "The origin is not allowed for this relying party.")
        }
        WebauthnError::InvalidRPIDHash => {
            webauthn_error("WebAuthnRelyingPartyMismatchException", "The credential is for another relying party.")
        }
        WebauthnError::CredentialAlteredAlgFromRequest | WebauthnError::COSEKeyInvalidType => {
            webauthn_error("WebAuthnCredentialNotSupportedException", "This kind of credential is not supported.")
        }
        _ => Error::invalid("The passkey registration response is not valid."),
    }
}
