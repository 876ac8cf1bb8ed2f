//! Per client-IP limits on the unauthenticated account actions: password sign-ins (and SRP
//! challenges), sign-ups, code mails (forgot password, resend code) and code entries (confirm
//! sign-up, confirm forgot password). Counted in fixed 5-minute windows in the shared
//! `rate_counters` table (the same atomic counter as the per-user code limits of
//! [`super::codes`]), so the limits hold across every node. The IP is stored only as a keyed
//! hash. Per user, the sign-in lockout and the hourly code limits already apply.
//!
//! The rule lives here and in the services that apply it (sign-in, sign-up, the code actions):
//! a surface only says who is asking ([`Source`], the address from
//! [`crate::web::client::client_ip`], proxy-aware). Over a limit the answer is
//! [`Error::TooManyRequests`].

use super::SignIn;
use super::error::{Error, Result};
use crate::i18n::Lang;
use std::net::IpAddr;

/// The window every per-IP limit is counted in.
pub const WINDOW_SECS: i64 = 300;

/// Who asks for an unauthenticated account action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A client at this address (a browser, an app calling the public API): limited per address.
    Address(IpAddr),
    /// An operator's own back end, through a signed Admin… action: not limited by address.
    Operator,
}

/// Who asks for an account action, and in which language its mails go (unless the pool has
/// templates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    pub source: Source,
    pub lang: Lang,
    /// The remembered device the request names (`DEVICE_KEY`), if any: a finished sign-in
    /// without a known one is from a new device (PostAuthentication's `newDeviceUsed`).
    pub device: Option<&'a str>,
}

impl Caller<'static> {
    /// `source`, in English, naming no device.
    pub fn of(source: Source) -> Self {
        Caller { source, lang: Lang::En, device: None }
    }
}

/// An action limited per client IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceLimit {
    /// A password sign-in attempt (InitiateAuth with a password, the hosted sign-in form, the
    /// proof of USER_SRP_AUTH).
    SignIn,
    /// USER_SRP_AUTH's first step, a PASSWORD_VERIFIER challenge (a 3072-bit modexp each):
    /// counted apart from [`SourceLimit::SignIn`], with the same allowance, so a whole SRP
    /// sign-in costs one password attempt as a password sign-in does.
    SrpChallenge,
    SignUp,
    /// A code mailed: ForgotPassword, ResendConfirmationCode.
    SendCode,
    /// A code entered: ConfirmSignUp, ConfirmForgotPassword.
    ConfirmCode,
}

impl SourceLimit {
    fn as_str(self) -> &'static str {
        match self {
            SourceLimit::SignIn => "sign_in",
            SourceLimit::SrpChallenge => "srp_challenge",
            SourceLimit::SignUp => "sign_up",
            SourceLimit::SendCode => "send_code",
            SourceLimit::ConfirmCode => "confirm_code",
        }
    }
}

impl SignIn {
    /// The configured limit for `kind` per window; 0 when it is off.
    fn source_limit(&self, kind: SourceLimit) -> u32 {
        let c = &self.config;
        match kind {
            SourceLimit::SignIn | SourceLimit::SrpChallenge => c.rate_limit_sign_in,
            SourceLimit::SignUp => c.rate_limit_sign_up,
            SourceLimit::SendCode => c.rate_limit_send_code,
            SourceLimit::ConfirmCode => c.rate_limit_confirm_code,
        }
    }

    /// Count one `kind` action from `source`; TooManyRequests (with the seconds left in the
    /// window) past the configured limit.
    pub(super) async fn limit_source(&self, kind: SourceLimit, source: Source) -> Result<()> {
        let limit = self.source_limit(kind);
        let Source::Address(ip) = source else {
            return Ok(());
        };
        if limit == 0 {
            return Ok(());
        }
        let subject = hex::encode(self.master.mac("rate-ip", ip.to_string().as_bytes()));
        let key = format!("ip:{}:{subject}", kind.as_str());
        let now = self.now();
        let (count, window_start) = self.store.hit_rate_window(&key, now, WINDOW_SECS).await?;
        if count > i64::from(limit) {
            let left = (window_start + WINDOW_SECS - now).clamp(1, WINDOW_SECS);
            tracing::info!(kind = kind.as_str(), "per-IP rate limit reached");
            return Err(Error::TooManyRequests { retry_after_secs: u64::try_from(left).unwrap_or(1) });
        }
        Ok(())
    }
}
