//! The per client-IP limits ([`crate::userpool::throttle`]) on the API's unsigned account
//! actions. Signed (Admin…) actions come from the operator's own back ends and are not
//! limited by address.

use super::{ApiError, s};
use crate::services::Services;
use crate::userpool::throttle::SourceLimit;
use actix_web::HttpRequest;
use serde_json::Value;

/// Which limit `action` with `input` counts against, if any.
fn kind(action: &str, input: &Value) -> Option<SourceLimit> {
    match action {
        "InitiateAuth" if !matches!(s(input, "AuthFlow"), "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN") => {
            Some(SourceLimit::SignIn)
        }
        "SignUp" => Some(SourceLimit::SignUp),
        "ForgotPassword" | "ResendConfirmationCode" => Some(SourceLimit::SendCode),
        "ConfirmSignUp" | "ConfirmForgotPassword" => Some(SourceLimit::ConfirmCode),
        _ => None,
    }
}

/// Count the request against its limit; TooManyRequestsException past it.
pub(super) async fn check(svc: &Services, req: &HttpRequest, action: &str, input: &Value) -> Result<(), ApiError> {
    let Some(kind) = kind(action, input) else {
        return Ok(());
    };
    let ip = crate::web::client::client_ip(req, &svc.config);
    svc.limit_source(kind, ip).await.map_err(ApiError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn password_flows_and_code_actions_are_limited_refresh_and_admin_actions_not() {
        assert_eq!(kind("InitiateAuth", &json!({"AuthFlow": "USER_PASSWORD_AUTH"})), Some(SourceLimit::SignIn));
        assert_eq!(kind("InitiateAuth", &json!({"AuthFlow": "REFRESH_TOKEN_AUTH"})), None);
        assert_eq!(kind("SignUp", &json!({})), Some(SourceLimit::SignUp));
        assert_eq!(kind("ResendConfirmationCode", &json!({})), Some(SourceLimit::SendCode));
        assert_eq!(kind("ConfirmForgotPassword", &json!({})), Some(SourceLimit::ConfirmCode));
        assert_eq!(kind("AdminInitiateAuth", &json!({"AuthFlow": "ADMIN_USER_PASSWORD_AUTH"})), None);
        assert_eq!(kind("GetUser", &json!({})), None);
    }
}
