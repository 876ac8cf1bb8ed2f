//! Remembered devices, as Cognito keeps them for pools with a `DeviceConfiguration`.
//!
//! An API sign-in of such a pool is issued to a device: a new one (its key and the user's
//! device group key go back as `NewDeviceMetadata`, the key into the access token and onto the
//! refresh token), or the device the request names when the user has confirmed it. ConfirmDevice,
//! with an access token issued to that very device key, stores the SRP verifier the device made
//! of a random password only it holds (sealed with the master key); the device is remembered at
//! once, or when the user says so (`DeviceOnlyRememberedOnUserPrompt`).
//!
//! A later sign-in that names a remembered device proves the device after the password
//! (DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER: SRP with the device group key as the pool
//! name and the device key as the user), and that proof stands in for the second factor when
//! the pool says so (`ChallengeRequiredOnNewDevice`); where it could not stand in, the second
//! factor is asked as for any device. A refresh token issued to a confirmed device refreshes only
//! for that device, and forgetting the device revokes the sign-ins issued to it.

use super::SignIn;
use super::auth::{incorrect, session_expired};
use super::error::{Error, Message, Result};
use super::mfa::SecondFactor;
use super::model::{Client, DeviceTracking, Pool};
use super::sign_in_events::Who;
use super::srp::{self, ServerEphemeral, Verifier};
use super::srp_sign_in::TIMESTAMP_SKEW_SECS;
use super::step::{Challenge, DEVICE_PASSWORD_VERIFIER, DEVICE_SRP_AUTH, SignInStep};
use super::throttle::Source;
use super::{Users, error};
use crate::crypto::{MasterKey, TokenHash};
use crate::events::ChallengeResult;
use crate::i18n::Lang;
use crate::ids::{PoolId, Username};
use crate::store::StoreError;
use crate::store::devices::DeviceRow;
use crate::store::sessions::ChallengeRow;
use crate::store::users::UserRow;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// The device group key of a user: the same for all their devices, stable, and not guessable
/// from the user's id.
pub fn group_key(master: &MasterKey, pool_id: &PoolId, user_id: &str) -> String {
    let mac = master.mac("device-group-key", format!("{pool_id}\0{user_id}").as_bytes());
    format!("-{}", URL_SAFE_NO_PAD.encode(&mac[..7]))
}

/// A new device key, `{region}_{uuid}` as Cognito's.
fn new_device_key(pool_id: &PoolId) -> String {
    let region = pool_id.as_str().rsplit_once('_').map_or("local", |(r, _)| r);
    format!("{region}_{}", uuid::Uuid::new_v4())
}

fn sealing_context(device_key: &str) -> String {
    format!("device-verifier:{device_key}")
}

fn no_device() -> Error {
    Error::ResourceNotFound(Message::Text("Device does not exist.".into()))
}

/// The device a sign-in's tokens are issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenDevice {
    /// The pool does not track devices.
    None,
    /// A device the user confirmed (named by the request, or proven by device SRP).
    Known(String),
    /// A new device: its key and the user's group key go back as NewDeviceMetadata.
    New { key: String, group_key: String },
}

impl TokenDevice {
    pub fn key(&self) -> Option<&str> {
        match self {
            TokenDevice::None => None,
            TokenDevice::Known(k) | TokenDevice::New { key: k, .. } => Some(k),
        }
    }
}

/// ConfirmDevice's request.
#[derive(Debug, Clone, Copy)]
pub struct NewDevice<'a> {
    pub key: &'a str,
    /// DeviceSecretVerifierConfig.PasswordVerifier and .Salt, base64 as the SDKs send them.
    pub verifier: &'a str,
    pub salt: &'a str,
    pub name: Option<&'a str>,
}

/// DEVICE_PASSWORD_VERIFIER's challenge parameters.
#[derive(Debug, Clone)]
pub struct DeviceChallenge {
    pub session: String,
    pub username: String,
    pub device_key: String,
    pub salt: String,
    pub srp_b: String,
    pub secret_block: String,
}

/// The answer to DEVICE_PASSWORD_VERIFIER, as sent.
#[derive(Debug, Clone, Copy)]
pub struct DeviceProof<'a> {
    pub session: &'a str,
    /// USERNAME, as sent (for the event of a failure).
    pub username: &'a str,
    pub device_key: &'a str,
    pub secret_block: &'a str,
    pub signature: &'a str,
    pub timestamp: &'a str,
}

fn address(source: Source) -> Option<String> {
    match source {
        Source::Address(ip) => Some(ip.to_string()),
        Source::Operator => None,
    }
}

impl SignIn {
    /// The step after a right password and the account checks: DEVICE_SRP_AUTH when the request
    /// names a device the user remembered and its proof may stand in for what is due (nothing,
    /// or a second factor when the pool lets a remembered device replace it); otherwise the
    /// second factor as planned.
    pub(super) async fn after_account_checks(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        device: Option<&str>,
        now: i64,
        lang: Lang,
    ) -> Result<SignInStep> {
        let plan = self.plan_second_factor(pool, &user).await?;
        if let (Some(tracking), Some(key)) = (pool.devices(), device) {
            let stands_in = match plan {
                SecondFactor::None => true,
                SecondFactor::Ask(_) | SecondFactor::Choose(_) => tracking.device_replaces_mfa,
                SecondFactor::SetUp => false,
            };
            if stands_in && self.store.get_device(&user.id, key).await?.is_some_and(|d| d.remembered) {
                let data = json!({"device_key": key});
                let session = self.open_challenge(pool, client, &user, DEVICE_SRP_AUTH, data).await?;
                return Ok(SignInStep::Challenge { session, user, challenge: Challenge::DeviceSrp });
            }
        }
        self.second_factor(pool, client, user, plan, now, lang).await
    }

    /// RespondToAuthChallenge DEVICE_SRP_AUTH: the device's SRP_A; answers the device's salt and
    /// the server's B. The session is spent; the next one carries the exchange. An answer without
    /// its session (pycognito sends none, as Cognito long allowed) takes the user's newest pending
    /// DEVICE_SRP_AUTH for this client and device: it was opened only after the right password,
    /// and nothing is issued before the device's own proof.
    pub async fn device_srp_start(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        username: &str,
        device_key: &str,
        srp_a: &str,
    ) -> Result<DeviceChallenge> {
        let big_a = srp::parse_client_public(srp_a)
            .ok_or_else(|| Error::InvalidParameter(Message::Text("SRP_A is not a valid value.".into())))?;
        let now = self.now();
        let pending = if session.is_empty() {
            self.take_sessionless_device_srp(pool, client, username, device_key, now).await?
        } else {
            self.store.take_challenge(&TokenHash::of(session), now).await?
        };
        let pending = pending
            .filter(|c| c.challenge == DEVICE_SRP_AUTH && c.client_id == client.id && c.pool_id == pool.id)
            .ok_or_else(session_expired)?;
        if pending.data["device_key"].as_str() != Some(device_key) {
            return Err(incorrect());
        }
        let user = self.store.get_user(&pending.user_id).await?.ok_or_else(session_expired)?;
        let device =
            self.store.get_device(&user.id, device_key).await?.filter(|d| d.remembered).ok_or_else(no_device)?;
        let verifier = open_verifier(&self.master, &device)?;
        let ephemeral = ServerEphemeral::new(&verifier);
        let data = json!({
            "device_key": device_key,
            "a": srp::to_hex(&big_a),
            "b": self.master.seal(&ephemeral.b, &sealing_context(device_key)),
            "B": srp::to_hex(&ephemeral.big_b),
        });
        let session = self.open_challenge(pool, client, &user, DEVICE_PASSWORD_VERIFIER, data).await?;
        Ok(DeviceChallenge {
            secret_block: STANDARD.encode(session.as_bytes()),
            session,
            username: user.username.to_string(),
            device_key: device_key.to_string(),
            salt: verifier.salt_hex(),
            srp_b: srp::to_hex(&ephemeral.big_b),
        })
    }

    async fn take_sessionless_device_srp(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        device_key: &str,
        now: i64,
    ) -> Result<Option<ChallengeRow>> {
        let Some(user) = self.users.find_user(pool, &Username::from(username)).await? else { return Ok(None) };
        let open = self.store.open_challenges_of_user(&user.id, &client.id, DEVICE_SRP_AUTH, now).await?;
        let Some(newest) = open.into_iter().find(|c| c.data["device_key"].as_str() == Some(device_key)) else {
            return Ok(None);
        };
        Ok(self.store.take_challenge(&newest.id_hash, now).await?)
    }

    /// RespondToAuthChallenge DEVICE_PASSWORD_VERIFIER: the device's proof; signed in, with the
    /// device's last sign-in noted. A wrong proof fails the sign-in (the session is spent). The
    /// outcome is recorded as a SignIn event after the password step.
    pub async fn device_srp_verify(
        &self,
        pool: &Pool,
        client: &Client,
        proof: DeviceProof<'_>,
        source: Source,
    ) -> Result<SignInStep> {
        let step = self.device_step(pool, client, proof, source).await;
        let (passed, details) = ([ChallengeResult::password(true)], json!({"device_key": proof.device_key}));
        let who = Who::Named(proof.username);
        let caller = super::throttle::Caller { device: Some(proof.device_key), ..super::throttle::Caller::of(source) };
        self.record_sign_in(pool, client, caller, step.as_ref(), &passed, None, details, who).await;
        step
    }

    async fn device_step(
        &self,
        pool: &Pool,
        client: &Client,
        proof: DeviceProof<'_>,
        source: Source,
    ) -> Result<SignInStep> {
        let now = self.now();
        // The session and the secret block name the same exchange; either may be sent.
        let token = if proof.session.is_empty() {
            STANDARD.decode(proof.secret_block).ok().and_then(|b| String::from_utf8(b).ok()).unwrap_or_default()
        } else {
            proof.session.to_string()
        };
        let pending = self.store.take_challenge(&TokenHash::of(&token), now).await?;
        let pending = pending
            .filter(|c| c.challenge == DEVICE_PASSWORD_VERIFIER && c.client_id == client.id && c.pool_id == pool.id)
            .ok_or_else(session_expired)?;
        if pending.data["device_key"].as_str() != Some(proof.device_key) {
            return Err(incorrect());
        }
        let user = self.store.get_user(&pending.user_id).await?.ok_or_else(session_expired)?;
        let device = self.store.get_device(&user.id, proof.device_key).await?.ok_or_else(no_device)?;
        if !self.device_proof_holds(&device, &pending.data, proof, now)? {
            return Err(incorrect());
        }
        if !user.enabled {
            return Err(Error::NotAuthorized(Message::UserDisabled));
        }
        self.store.touch_device(&device.device_key, address(source).as_deref(), now).await?;
        Ok(SignInStep::Authenticated { user, auth_time: now })
    }

    fn device_proof_holds(&self, device: &DeviceRow, data: &Value, proof: DeviceProof<'_>, now: i64) -> Result<bool> {
        let Some(at) = srp::parse_timestamp(proof.timestamp) else { return Ok(false) };
        if (at - now).abs() > TIMESTAMP_SKEW_SECS {
            return Ok(false);
        }
        let verifier = open_verifier(&self.master, device)?;
        let (Some(big_a), Some(big_b), Some(b)) = (
            data["a"].as_str().and_then(srp::parse_client_public),
            data["B"].as_str().and_then(srp::from_hex),
            data["b"].as_str().and_then(|s| self.master.open(s, &sealing_context(&device.device_key)).ok()),
        ) else {
            return Ok(false);
        };
        let Ok(b) = <[u8; 32]>::try_from(b.as_slice()) else { return Ok(false) };
        let Some(key) = srp::session_key(&big_a, &ServerEphemeral { b, big_b }, &verifier) else { return Ok(false) };
        let (Ok(signature), Ok(block)) = (STANDARD.decode(proof.signature), STANDARD.decode(proof.secret_block)) else {
            return Ok(false);
        };
        let expected = srp::claim_signature(&key, &device.group_key, &device.device_key, &block, proof.timestamp);
        Ok(srp::signature_matches(&expected, &signature))
    }
}

fn open_verifier(master: &MasterKey, device: &DeviceRow) -> Result<Verifier> {
    let bytes = master.open(&device.verifier_enc, &sealing_context(&device.device_key)).map_err(Error::internal)?;
    Verifier::from_stored(&bytes)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("a stored device verifier is malformed")))
}

impl Users {
    /// The device a sign-in's tokens go to: the one the request names if the user confirmed
    /// it, else a new one when the pool tracks devices.
    pub async fn device_for_tokens(&self, pool: &Pool, user: &UserRow, named: Option<&str>) -> Result<TokenDevice> {
        if pool.devices().is_none() {
            return Ok(TokenDevice::None);
        }
        if let Some(key) = named.filter(|k| !k.is_empty())
            && self.store.get_device(&user.id, key).await?.is_some()
        {
            return Ok(TokenDevice::Known(key.to_string()));
        }
        Ok(TokenDevice::New { key: new_device_key(&pool.id), group_key: group_key(&self.master, &pool.id, &user.id) })
    }

    /// Whether a finished sign-in naming `named` (DEVICE_KEY) is from a new device: the pool
    /// tracks devices and the user has no such device (PostAuthentication's `newDeviceUsed`).
    /// False when the store cannot tell.
    pub async fn is_new_device(&self, pool: &Pool, user: &UserRow, named: Option<&str>) -> bool {
        if pool.devices().is_none() {
            return false;
        }
        match named.filter(|k| !k.is_empty()) {
            None => true,
            Some(key) => matches!(self.store.get_device(&user.id, key).await, Ok(None)),
        }
    }

    /// ConfirmDevice: the device the access token was issued to, with the verifier it made.
    /// Answers whether the user must still choose to remember it (UserConfirmationNecessary).
    pub async fn confirm_device(
        &self,
        pool: &Pool,
        user: &UserRow,
        token_device: Option<&str>,
        new: NewDevice<'_>,
        source: Source,
    ) -> Result<bool> {
        let Some(DeviceTracking { remembered_on_prompt, .. }) = pool.devices() else {
            return Err(Error::InvalidUserPoolConfiguration(
                "Device tracking is not enabled for this user pool.".into(),
            ));
        };
        if token_device != Some(new.key) {
            return Err(Error::NotAuthorized(Message::Text("The access token was not issued to this device.".into())));
        }
        let bad = || Error::invalid("DeviceSecretVerifierConfig is not a valid SRP verifier and salt.");
        let (Ok(v), Ok(salt)) = (STANDARD.decode(new.verifier), STANDARD.decode(new.salt)) else { return Err(bad()) };
        let verifier = Verifier::from_client(&salt, &v).ok_or_else(bad)?;
        let now = self.now();
        let row = DeviceRow {
            device_key: new.key.to_string(),
            pool_id: pool.id.clone(),
            user_id: user.id.clone(),
            group_key: group_key(&self.master, &pool.id, &user.id),
            verifier_enc: self.master.seal(&verifier.to_bytes(), &sealing_context(new.key)),
            name: new.name.map(str::to_string),
            remembered: !remembered_on_prompt,
            last_ip: address(source),
            created_at: now,
            updated_at: now,
            last_authenticated_at: Some(now),
        };
        match self.store.insert_device(&row).await {
            Ok(()) => Ok(remembered_on_prompt),
            Err(StoreError::Conflict) => Err(Error::DeviceKeyExists(Message::Text("Device already exists.".into()))),
            Err(e) => Err(e.into()),
        }
    }

    /// One device of the user.
    pub async fn device(&self, user: &UserRow, key: &str) -> Result<DeviceRow> {
        self.store.get_device(&user.id, key).await?.ok_or_else(no_device)
    }

    /// A page of the user's devices (oldest first) after the device key `after`, and the key
    /// to continue after when there are more.
    pub async fn devices(
        &self,
        user: &UserRow,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<DeviceRow>, Option<String>)> {
        let all = self.store.devices_of_user(&user.id).await?;
        let start = match after {
            None => 0,
            Some(key) => all
                .iter()
                .position(|d| d.device_key == key)
                .map(|i| i + 1)
                .ok_or_else(|| error::Error::invalid("Invalid PaginationToken."))?,
        };
        let rows: Vec<DeviceRow> = all.into_iter().skip(start).take(max as usize + 1).collect();
        Ok(crate::store::page(rows, max, |d| d.device_key.clone()))
    }

    /// UpdateDeviceStatus: remembered or not.
    pub async fn set_device_remembered(&self, user: &UserRow, key: &str, remembered: bool) -> Result<()> {
        if !self.store.set_device_remembered(&user.id, key, remembered, self.now()).await? {
            return Err(no_device());
        }
        Ok(())
    }

    /// ForgetDevice: the device is gone and the sign-ins issued to it are revoked.
    pub async fn forget_device(&self, user: &UserRow, key: &str) -> Result<()> {
        if !self.store.forget_device(&user.id, key, self.now()).await? {
            return Err(no_device());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_look_like_cognitos_and_group_keys_are_stable_per_user() {
        let pool = PoolId::from("eu-west-1_abc");
        let key = new_device_key(&pool);
        let (region, id) = key.split_once('_').unwrap();
        assert_eq!(region, "eu-west-1");
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{key}");
        assert_ne!(key, new_device_key(&pool));
        let master = MasterKey::from_bytes(&[7; 32]);
        let g = group_key(&master, &pool, "u1");
        assert_eq!(g, group_key(&master, &pool, "u1"));
        assert_ne!(g, group_key(&master, &pool, "u2"));
        assert!(g.starts_with('-') && g.len() == 11, "{g}");
        assert_ne!(g, group_key(&MasterKey::from_bytes(&[8; 32]), &pool, "u1"));
    }
}
