//! USER_SRP_AUTH in the sign-in engine: the first step answers PASSWORD_VERIFIER with the
//! user's salt and the server's B ([`super::srp`]), the second checks the client's proof in
//! place of a password and then goes on exactly as a password sign-in does (new password,
//! second factor, tokens), through the same lockout, throttle and events.
//!
//! The SECRET_BLOCK is a pending-challenge row's secret (base64), as the Session of other
//! challenges is: the row holds A, B and the server's b (sealed under the master key), so any
//! node can check the proof, only once, and only before the client's session lifetime ends.
//! A name no user has (or, when existence is hidden, a user with no verifier yet) gets a
//! stand-in salt that is the same every time and a fresh B, and a block that leads nowhere:
//! its proof fails at the second step as a wrong password does, counted the same way.

use super::SignIn;
use super::auth::incorrect;
use super::error::{Error, Message, Result};
use super::lockout::{Guess, attempts_exceeded};
use super::model::{Client, Pool};
use super::sign_in_events::Who;
use super::srp::{self, ServerEphemeral, Verifier};
use super::step::SignInStep;
use super::throttle::{Caller, SourceLimit};
use crate::crypto::{SecretToken, TokenHash};
use crate::events::ChallengeKind;
use crate::ids::Username;
use crate::store::guesses::Guesses;
use crate::store::users::UserRow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// Cognito's ChallengeName for the SRP proof.
pub const PASSWORD_VERIFIER: &str = "PASSWORD_VERIFIER";

/// How far a proof's TIMESTAMP may be from the server's clock, either way.
pub const TIMESTAMP_SKEW_SECS: i64 = 300;

/// The PASSWORD_VERIFIER challenge: Cognito's ChallengeParameters, hex as the SDKs expect.
#[derive(Debug, Clone)]
pub struct SrpChallenge {
    pub username: String,
    pub user_id_for_srp: String,
    pub salt: String,
    pub srp_b: String,
    pub secret_block: String,
}

/// The client's answer to PASSWORD_VERIFIER, as sent.
#[derive(Debug, Clone, Copy)]
pub struct SrpProof<'a> {
    /// USERNAME of the ChallengeResponses (the USER_ID_FOR_SRP, or the name first given).
    pub username: &'a str,
    pub secret_block: &'a str,
    pub signature: &'a str,
    pub timestamp: &'a str,
    /// DEVICE_KEY: the remembered device the client signs in from, if any.
    pub device_key: Option<&'a str>,
}

fn ephemeral_context(user: &UserRow) -> String {
    format!("srp-ephemeral:{}:{}", user.pool_id, user.id)
}

impl SignIn {
    /// InitiateAuth USER_SRP_AUTH: USERNAME (or an alias) and SRP_A. An unknown user is
    /// UserNotFoundException unless the client sets PreventUserExistenceErrors; then, like a
    /// user who has no verifier yet, a stand-in challenge. A user with no verifier is told to
    /// sign in once with the password when existence is not hidden. A refusal here is recorded
    /// as a failed SignIn event, as the password step records it.
    pub async fn srp_start(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        srp_a: &str,
        caller: Caller<'_>,
    ) -> Result<SrpChallenge> {
        let challenge = self.srp_challenge(pool, client, username, srp_a, caller).await;
        if let Err(e) = &challenge {
            let who = Who::Named(username);
            self.record_sign_in(pool, client, caller, Err(e), &[], Some(ChallengeKind::Password), Value::Null, who)
                .await;
        }
        challenge
    }

    async fn srp_challenge(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        srp_a: &str,
        caller: Caller<'_>,
    ) -> Result<SrpChallenge> {
        self.limit_source(SourceLimit::SrpChallenge, caller.source).await?;
        let big_a = srp::parse_client_public(srp_a)
            .ok_or_else(|| Error::InvalidParameter(Message::Text("SRP_A is not a valid value.".into())))?;
        let hide = client.prevents_user_existence_errors();
        let found = self.users.find_user(pool, &Username::from(username)).await?;
        if found.as_ref().is_some_and(|u| u.status == super::recovery::RESET_REQUIRED && u.password_hash.is_none()) {
            // An imported user has no password yet: as Cognito, the sign-in asks for the reset.
            return Err(Error::PasswordResetRequired(Message::ResetRequired));
        }
        if found.is_none() && !hide {
            return Err(Error::UserNotFound("User does not exist.".into()));
        }
        let user = found;
        // PreAuthentication at the start of an SRP sign-in, as for a password.
        let input = super::user_triggers::TriggerInput::default();
        let id = client.id.as_str();
        super::user_triggers::pre_authentication(&self.triggers, pool, id, user.as_ref(), username, &input).await?;
        let verifier = user.as_ref().and_then(|u| self.passwords.open_srp_verifier(u));
        self.srp_open(pool, client, user.zip(verifier), username, &srp::to_hex(&big_a), hide, Value::Null).await
    }

    /// The PASSWORD_VERIFIER challenge for `user` and their verifier (none: a stand-in when
    /// `hide`, else refused), the client's A (hex) and `flow` kept beside the exchange in the
    /// pending row (a CUSTOM_AUTH flow's state, or null).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn srp_open(
        &self,
        pool: &Pool,
        client: &Client,
        user: Option<(UserRow, Verifier)>,
        username: &str,
        big_a_hex: &str,
        hide: bool,
        flow: Value,
    ) -> Result<SrpChallenge> {
        let Some((user, verifier)) = user else {
            if !hide {
                return Err(Error::NotAuthorized(Message::Text(
                    "This user cannot sign in with SRP yet: sign in once with the password (USER_PASSWORD_AUTH \
                     or the hosted page) or have the password set again."
                        .into(),
                )));
            }
            return Ok(self.stand_in_challenge(pool, username));
        };
        let ephemeral = ServerEphemeral::new(&verifier);
        let mut data = json!({
            "a": big_a_hex,
            "b": self.master.seal(&ephemeral.b, &ephemeral_context(&user)),
            "B": srp::to_hex(&ephemeral.big_b),
        });
        if !flow.is_null() {
            data["custom"] = flow;
        }
        let session = self.open_challenge(pool, client, &user, PASSWORD_VERIFIER, data).await?;
        Ok(SrpChallenge {
            username: user.username.to_string(),
            user_id_for_srp: user.username.to_string(),
            salt: verifier.salt_hex(),
            srp_b: srp::to_hex(&ephemeral.big_b),
            secret_block: STANDARD.encode(session.as_bytes()),
        })
    }

    /// A challenge for nobody: a salt stable per name, a fresh B, a block of the same shape
    /// that no row is behind. In a pool whose usernames are generated (UsernameAttributes), the
    /// USER_ID_FOR_SRP is a stable UUID-shaped stand-in, as a real user's would be.
    fn stand_in_challenge(&self, pool: &Pool, username: &str) -> SrpChallenge {
        let seed = self.passwords.stand_in_seed(&pool.id, &pool.lookup_key(username));
        let verifier = Verifier::stand_in(&seed);
        let ephemeral = ServerEphemeral::new(&verifier);
        let user_id = self.stand_in_username(pool, username);
        SrpChallenge {
            username: user_id.clone(),
            user_id_for_srp: user_id,
            salt: verifier.salt_hex(),
            srp_b: srp::to_hex(&ephemeral.big_b),
            secret_block: STANDARD.encode(SecretToken::generate().into_clear().as_bytes()),
        }
    }

    /// The username a challenge for a name no user has carries: the name itself, or in a pool
    /// whose usernames are generated (UsernameAttributes) a UUID-shaped stand-in stable per name,
    /// as a real user's would be.
    pub(super) fn stand_in_username(&self, pool: &Pool, username: &str) -> String {
        if pool.username_attributes().is_empty() {
            return username.to_string();
        }
        let seed = self.passwords.stand_in_seed(&pool.id, &pool.lookup_key(username));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&seed[32..48]);
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    /// RespondToAuthChallenge PASSWORD_VERIFIER: the proof in place of a password, then the
    /// steps a password sign-in takes. Recorded as a SignIn event like a password sign-in.
    pub async fn srp_verify(
        &self,
        pool: &Pool,
        client: &Client,
        proof: SrpProof<'_>,
        caller: Caller<'_>,
    ) -> Result<SignInStep> {
        let step = self.srp_step(pool, client, proof, caller).await;
        let who = Who::Named(proof.username);
        self.record_sign_in(pool, client, caller, step.as_ref(), &[], Some(ChallengeKind::Password), Value::Null, who)
            .await;
        step
    }

    async fn srp_step(
        &self,
        pool: &Pool,
        client: &Client,
        proof: SrpProof<'_>,
        caller: Caller<'_>,
    ) -> Result<SignInStep> {
        self.limit_source(SourceLimit::SignIn, caller.source).await?;
        let now = self.now();
        // The block is spent by this answer, right or wrong.
        let token = STANDARD.decode(proof.secret_block).ok().and_then(|b| String::from_utf8(b).ok());
        let pending = match &token {
            Some(t) => self.store.take_challenge(&TokenHash::of(t), now).await?,
            None => None,
        };
        let pending =
            pending.filter(|c| c.challenge == PASSWORD_VERIFIER && c.client_id == client.id && c.pool_id == pool.id);
        let named = self.users.find_user(pool, &Username::from(proof.username)).await?;
        // The user the block was issued for, and only if the answer names that same user.
        let user = match (&pending, &named) {
            (Some(c), Some(u)) if c.user_id == u.id => Some(u.clone()),
            _ => None,
        };
        let Some(user) = user else {
            // Nobody's block, a spent or expired one, or another user's: a wrong password for
            // the name given, with the same work as a checked proof.
            let key = match &named {
                Some(u) => u.id.clone(),
                None => self.codes.phantom_id(pool, proof.username),
            };
            let of = if named.is_some() { Guesses::Password(&key) } else { Guesses::UnknownUser(&key) };
            let guess = self.guarded_guess(&pool.id, of, async {
                self.stand_in_proof_work(pool, proof.username);
                Ok(None::<()>)
            });
            return Err(match guess.await? {
                Guess::Refused => attempts_exceeded(),
                _ => incorrect(),
            });
        };
        let pending = pending.ok_or_else(incorrect)?;
        let check = async { Ok(self.proof_holds(pool, &user, &pending.data, proof, now).then_some(())) };
        match self.guarded_guess(&pool.id, Guesses::Password(&user.id), check).await? {
            Guess::Right(()) => {}
            Guess::Wrong => return Err(incorrect()),
            Guess::Refused => return Err(attempts_exceeded()),
        }
        if let Some(flow) = pending.data.get("custom") {
            // A CUSTOM_AUTH flow that started with SRP: DefineAuthChallenge decides what follows.
            return self.custom_after_password(pool, client, user, flow).await;
        }
        self.after_password(pool, client, user, proof.device_key, now, caller.lang).await
    }

    /// Whether the client proved the password: TIMESTAMP within the skew, and the signature
    /// the one the shared key gives.
    fn proof_holds(&self, pool: &Pool, user: &UserRow, data: &Value, proof: SrpProof<'_>, now: i64) -> bool {
        let Some(at) = srp::parse_timestamp(proof.timestamp) else {
            return false;
        };
        if (at - now).abs() > TIMESTAMP_SKEW_SECS {
            return false;
        }
        let Ok(signature) = STANDARD.decode(proof.signature) else {
            return false;
        };
        let (Some(verifier), Some(big_a), Some(big_b)) = (
            self.passwords.open_srp_verifier(user),
            data["a"].as_str().and_then(srp::parse_client_public),
            data["B"].as_str().and_then(srp::from_hex),
        ) else {
            return false;
        };
        let Some(b) = data["b"].as_str().and_then(|s| self.master.open(s, &ephemeral_context(user)).ok()) else {
            return false;
        };
        let Ok(b) = <[u8; 32]>::try_from(b.as_slice()) else {
            return false;
        };
        let ephemeral = ServerEphemeral { b, big_b };
        let Some(key) = srp::session_key(&big_a, &ephemeral, &verifier) else {
            return false;
        };
        let Ok(block) = STANDARD.decode(proof.secret_block) else {
            return false;
        };
        let expected =
            srp::claim_signature(&key, srp::pool_name(&pool.id), user.username.as_str(), &block, proof.timestamp);
        srp::signature_matches(&expected, &signature)
    }

    /// The arithmetic of a proof check against a stand-in, so a refusal without one costs the
    /// same as a checked proof.
    fn stand_in_proof_work(&self, pool: &Pool, username: &str) {
        let verifier = Verifier::stand_in(&self.passwords.stand_in_seed(&pool.id, &pool.lookup_key(username)));
        let ephemeral = ServerEphemeral::new(&verifier);
        let _ = srp::session_key(&ephemeral.big_b, &ephemeral, &verifier);
    }
}
