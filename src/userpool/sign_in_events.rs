//! The events of the self-service flows, recorded where their outcomes are decided: each public
//! flow method (password sign-in, challenge answers, sign-up and its confirmation, code mails,
//! recovery) runs its rules and hands the outcome here, so the hosted pages and the JSON API
//! record the same events. A SignIn event lists the steps passed so far in its details
//! (`challenges`: Password, then Mfa, each a success or a failure) and, while in progress, the
//! challenge asked next. Failures name their reason; a user who could not be found is recorded
//! by the name given. Nothing the user typed as a secret is ever put in an event. Every finished
//! sign-in passes through [`SignIn::record_sign_in`], so the PostAuthentication trigger is called
//! from there.

use super::SignIn;
use super::error::{Error, Result};
use super::model::{Client, Pool};
use super::step::{Answer, MfaCode, SignInStep};
use super::throttle::{Caller, Source};
use crate::crypto::TokenHash;
use crate::events::{AuthEvent, AuthEventType, ChallengeKind, ChallengeResult, Outcome, Reason};
use crate::ids::Username;
use crate::store::users::UserRow;
use serde_json::{Value, json};

/// Who a sign-in step was for, when it failed and the outcome does not say.
pub(super) enum Who<'a> {
    /// The name (or alias) given at the password step.
    Named(&'a str),
    /// The user behind a challenge session of this client.
    Session(&'a str),
    Known(&'a UserRow),
}

/// `details` (an object, or null) with the steps and the next challenge added.
fn with_steps(details: Value, steps: &[ChallengeResult], next: Option<&str>) -> Value {
    let mut out = if details.is_object() { details } else { json!({}) };
    out["challenges"] = json!(steps);
    if let Some(n) = next {
        out["next_challenge"] = json!(n);
    }
    out
}

/// The step `kind` as a failure's reason leaves it: failed for a wrong (or refused) answer,
/// passed when the password was right but the account may not sign in, absent otherwise.
fn failed_step(kind: ChallengeKind, reason: Reason) -> Option<ChallengeResult> {
    use Reason::*;
    match reason {
        BadPassword | UserNotFound | LockedOut | MfaFailed => Some(ChallengeResult { challenge: kind, success: false }),
        Disabled | NotConfirmed | ResetRequired | TemporaryPasswordExpired if kind == ChallengeKind::Password => {
            Some(ChallengeResult::password(true))
        }
        _ => None,
    }
}

impl SignIn {
    /// The user a failed step was for, if one can be told.
    async fn user_of(&self, pool: &Pool, client: &Client, who: Who<'_>) -> Option<UserRow> {
        match who {
            Who::Named(name) => self.users.find_user(pool, &Username::from(name)).await.ok().flatten(),
            Who::Session(session) => {
                let c = self.store.peek_challenge(&TokenHash::of(session), self.now()).await.ok().flatten()?;
                if c.client_id != client.id {
                    return None;
                }
                self.store.get_user(&c.user_id).await.ok().flatten()
            }
            Who::Known(user) => Some(user.clone()),
        }
    }

    /// Record a sign-in step of `client` from `source`: `passed` are the steps passed before
    /// this one, `this` the step answered now (none when it was no credential).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_sign_in(
        &self,
        pool: &Pool,
        client: &Client,
        caller: Caller<'_>,
        step: std::result::Result<&SignInStep, &Error>,
        passed: &[ChallengeResult],
        this: Option<ChallengeKind>,
        details: Value,
        who: Who<'_>,
    ) {
        let source = caller.source;
        let event =
            |outcome| AuthEvent::new(&pool.id, AuthEventType::SignIn, outcome).client(&client.id).source(source);
        let mut steps = passed.to_vec();
        let e = match step {
            Ok(SignInStep::Authenticated { user, .. }) => {
                // Every finished sign-in passes here: PostAuthentication follows it.
                let new_device = self.users.is_new_device(pool, user, caller.device).await;
                let post = super::user_triggers::post_authentication;
                post(&self.triggers, pool, client.id.as_str(), user, new_device).await;
                steps.extend(this.map(|k| ChallengeResult { challenge: k, success: true }));
                event(Outcome::Pass).user(user).details(with_steps(details, &steps, None))
            }
            Ok(SignInStep::Challenge { user, challenge, .. }) => {
                steps.extend(this.map(|k| ChallengeResult { challenge: k, success: true }));
                event(Outcome::InProgress).user(user).details(with_steps(details, &steps, Some(challenge.name())))
            }
            Err(err) => {
                let mut reason = Reason::of(err);
                if this == Some(ChallengeKind::Mfa) && reason == Reason::BadCode {
                    reason = Reason::MfaFailed;
                }
                let named = if let Who::Named(n) = who { Some(n) } else { None };
                let user = self.user_of(pool, client, who).await;
                if user.is_none() && reason == Reason::BadPassword {
                    // The page (or the client's setting) hid it; the log says what it was.
                    reason = Reason::UserNotFound;
                }
                steps.extend(this.and_then(|k| failed_step(k, reason)));
                let e = AuthEvent { reason: Some(reason), ..event(Outcome::Fail) };
                let e = e.details(with_steps(details, &steps, None));
                match (user, named) {
                    (Some(u), _) => e.user(&u),
                    (None, Some(n)) => e.username(n),
                    (None, None) => e,
                }
            }
        };
        self.events.record_auth(e).await;
    }

    /// Record the outcome of an answer to a challenge: the second factor (or the end of its
    /// set-up) as a SignIn step after the password; a new password as a PasswordChange, then the
    /// sign-in it continues. Choosing a factor is no credential and records nothing. A code
    /// that is the first factor (USER_AUTH's EMAIL_OTP) follows no password: `after_password`
    /// is false for it.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_answer(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        answer: &Answer,
        caller: Caller<'_>,
        step: &Result<SignInStep>,
        after_password: bool,
    ) {
        let source = caller.source;
        let password = [ChallengeResult::password(true)];
        let passed: &[ChallengeResult] = if after_password { &password } else { &[] };
        let mfa = Some(ChallengeKind::Mfa);
        match answer {
            Answer::SelectMfa(_) => {}
            Answer::Mfa(code) => {
                let details = json!({
                    "factor": code.kind().challenge_name(),
                    "recovery_code": matches!(code, MfaCode::Recovery(_)),
                });
                self.record_sign_in(pool, client, caller, step.as_ref(), passed, mfa, details, Who::Session(session))
                    .await
            }
            Answer::MfaSetupDone => {
                let details = json!({"mfa_setup": true});
                self.record_sign_in(pool, client, caller, step.as_ref(), &password, mfa, details, Who::Session(session))
                    .await
            }
            Answer::NewPassword { .. } => {
                let via = json!({"via": "NEW_PASSWORD_REQUIRED"});
                let change = AuthEvent::new(&pool.id, AuthEventType::PasswordChange, Outcome::Pass)
                    .client(&client.id)
                    .source(source)
                    .details(via.clone());
                let change = match step {
                    Ok(SignInStep::Authenticated { user, .. } | SignInStep::Challenge { user, .. }) => {
                        change.user(user)
                    }
                    Err(e) => {
                        let failed = AuthEvent { outcome: Outcome::Fail, reason: Some(Reason::of(e)), ..change };
                        match self.user_of(pool, client, Who::Session(session)).await {
                            Some(u) => failed.user(&u),
                            None => failed,
                        }
                    }
                };
                self.events.record_auth(change).await;
                if step.is_ok() {
                    self.record_sign_in(
                        pool,
                        client,
                        caller,
                        step.as_ref(),
                        &password,
                        None,
                        via,
                        Who::Session(session),
                    )
                    .await
                }
            }
        }
    }

    /// Record an account event (sign-up, confirmation, a code mailed, recovery) of `client`
    /// from `source`: a Pass, or a Fail for `reason`; about `user` when known, else the name given.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_account(
        &self,
        pool: &Pool,
        client: &Client,
        source: Source,
        event_type: AuthEventType,
        failed: Option<Reason>,
        user: Option<&UserRow>,
        name: &str,
        details: Value,
    ) {
        let e = match failed {
            None => AuthEvent::new(&pool.id, event_type, Outcome::Pass),
            Some(r) => AuthEvent::failed(&pool.id, event_type, r),
        };
        let e = e.client(&client.id).source(source).details(details);
        let e = match user {
            Some(u) => e.user(u),
            None => e.username(name),
        };
        self.events.record_auth(e).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_marks_the_step_it_failed_or_the_password_it_passed() {
        let pw = ChallengeKind::Password;
        assert_eq!(failed_step(pw, Reason::BadPassword), Some(ChallengeResult::password(false)));
        assert_eq!(failed_step(pw, Reason::LockedOut), Some(ChallengeResult::password(false)));
        assert_eq!(failed_step(pw, Reason::Disabled), Some(ChallengeResult::password(true)));
        assert_eq!(failed_step(ChallengeKind::Mfa, Reason::MfaFailed), Some(ChallengeResult::mfa(false)));
        assert_eq!(failed_step(ChallengeKind::Mfa, Reason::Disabled), None);
        assert_eq!(failed_step(pw, Reason::RateLimited), None);
    }

    #[test]
    fn steps_go_into_the_details_beside_what_is_there() {
        let v = with_steps(json!({"factor": "EMAIL_OTP"}), &[ChallengeResult::password(true)], Some("EMAIL_OTP"));
        assert_eq!(
            v,
            json!({"factor": "EMAIL_OTP", "challenges": [{"challenge": "Password", "success": true}],
                   "next_challenge": "EMAIL_OTP"})
        );
        assert_eq!(with_steps(Value::Null, &[], None), json!({"challenges": []}));
    }
}
