//! What CreateUserPoolClient and UpdateUserPoolClient ask for, typed: [`NewClient`] and
//! [`ClientDefinition`], with enums for the closed sets (OAuth flows, explicit auth flows, token
//! validity units). The service checks a definition (`clients.rs`) and stores it as Cognito's own
//! document ([`ClientDefinition::document`]), which DescribeUserPoolClient echoes and
//! [`super::model::ClientSettings`] reads back.

use serde_json::{Map, Value, json};

/// `AllowedOAuthFlows` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFlow {
    Code,
    Implicit,
    ClientCredentials,
}

impl OAuthFlow {
    pub const ALL: [OAuthFlow; 3] = [OAuthFlow::Code, OAuthFlow::Implicit, OAuthFlow::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            OAuthFlow::Code => "code",
            OAuthFlow::Implicit => "implicit",
            OAuthFlow::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// `ExplicitAuthFlows` entries: the `ALLOW_` ones and the legacy ones (never both on one client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplicitAuthFlow {
    AllowUserPasswordAuth,
    AllowUserSrpAuth,
    AllowCustomAuth,
    AllowAdminUserPasswordAuth,
    AllowRefreshTokenAuth,
    AllowUserAuth,
    /// Legacy `ADMIN_NO_SRP_AUTH`.
    AdminNoSrpAuth,
    /// Legacy `CUSTOM_AUTH_FLOW_ONLY`.
    CustomAuthFlowOnly,
    /// Legacy `USER_PASSWORD_AUTH`.
    UserPasswordAuth,
}

impl ExplicitAuthFlow {
    pub const ALL: [ExplicitAuthFlow; 9] = [
        ExplicitAuthFlow::AllowUserPasswordAuth,
        ExplicitAuthFlow::AllowUserSrpAuth,
        ExplicitAuthFlow::AllowCustomAuth,
        ExplicitAuthFlow::AllowAdminUserPasswordAuth,
        ExplicitAuthFlow::AllowRefreshTokenAuth,
        ExplicitAuthFlow::AllowUserAuth,
        ExplicitAuthFlow::AdminNoSrpAuth,
        ExplicitAuthFlow::CustomAuthFlowOnly,
        ExplicitAuthFlow::UserPasswordAuth,
    ];

    /// What a client gets when it names none.
    pub const DEFAULT: [ExplicitAuthFlow; 3] = [
        ExplicitAuthFlow::AllowRefreshTokenAuth,
        ExplicitAuthFlow::AllowUserSrpAuth,
        ExplicitAuthFlow::AllowCustomAuth,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ExplicitAuthFlow::AllowUserPasswordAuth => "ALLOW_USER_PASSWORD_AUTH",
            ExplicitAuthFlow::AllowUserSrpAuth => "ALLOW_USER_SRP_AUTH",
            ExplicitAuthFlow::AllowCustomAuth => "ALLOW_CUSTOM_AUTH",
            ExplicitAuthFlow::AllowAdminUserPasswordAuth => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            ExplicitAuthFlow::AllowRefreshTokenAuth => "ALLOW_REFRESH_TOKEN_AUTH",
            ExplicitAuthFlow::AllowUserAuth => "ALLOW_USER_AUTH",
            ExplicitAuthFlow::AdminNoSrpAuth => "ADMIN_NO_SRP_AUTH",
            ExplicitAuthFlow::CustomAuthFlowOnly => "CUSTOM_AUTH_FLOW_ONLY",
            ExplicitAuthFlow::UserPasswordAuth => "USER_PASSWORD_AUTH",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// One of the legacy values (not `ALLOW_…`).
    pub fn is_legacy(self) -> bool {
        !self.as_str().starts_with("ALLOW_")
    }
}

/// `TimeUnitsType`: the unit a token validity is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 4] = [TimeUnit::Seconds, TimeUnit::Minutes, TimeUnit::Hours, TimeUnit::Days];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }

    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86400,
        }
    }
}

/// `TokenValidityUnits`: each unit as given; Cognito's defaults (hours, hours, days) otherwise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenValidityUnits {
    /// Unit of `AccessTokenValidity`; hours when not given.
    pub access_token: Option<TimeUnit>,
    /// Unit of `IdTokenValidity`; hours when not given.
    pub id_token: Option<TimeUnit>,
    /// Unit of `RefreshTokenValidity`; days when not given.
    pub refresh_token: Option<TimeUnit>,
}

impl TokenValidityUnits {
    pub fn access(&self) -> TimeUnit {
        self.access_token.unwrap_or(TimeUnit::Hours)
    }
    pub fn id(&self) -> TimeUnit {
        self.id_token.unwrap_or(TimeUnit::Hours)
    }
    pub fn refresh(&self) -> TimeUnit {
        self.refresh_token.unwrap_or(TimeUnit::Days)
    }
}

/// `PreventUserExistenceErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserExistenceErrors {
    /// `LEGACY`: errors say when a user does not exist (the default).
    Legacy,
    /// `ENABLED`: they do not.
    Enabled,
}

impl UserExistenceErrors {
    pub fn as_str(self) -> &'static str {
        match self {
            UserExistenceErrors::Legacy => "LEGACY",
            UserExistenceErrors::Enabled => "ENABLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [UserExistenceErrors::Legacy, UserExistenceErrors::Enabled].into_iter().find(|v| v.as_str() == s)
    }
}

/// `AnalyticsConfiguration`: stored and shown, not acted on (this server has no Pinpoint).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalyticsConfiguration {
    /// `ApplicationId`.
    pub application_id: Option<String>,
    /// `ApplicationArn`.
    pub application_arn: Option<String>,
    /// `RoleArn`.
    pub role_arn: Option<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `UserDataShared`.
    pub user_data_shared: Option<bool>,
}

/// `RefreshTokenRotation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshTokenRotation {
    /// `Feature`: `ENABLED` (true) or `DISABLED`.
    pub enabled: bool,
    /// `RetryGracePeriodSeconds`, when given.
    pub retry_grace_period_seconds: Option<i64>,
}

/// A client's settings, as CreateUserPoolClient or UpdateUserPoolClient gives them. `None` is a
/// member the request left out: Cognito's default applies, and a list or value without a
/// default stays out of the stored document (so DescribeUserPoolClient leaves it out too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientDefinition {
    /// `AccessTokenValidity`, in `token_validity_units.access_token`.
    pub access_token_validity: Option<i64>,
    /// `IdTokenValidity`, in `token_validity_units.id_token`.
    pub id_token_validity: Option<i64>,
    /// `RefreshTokenValidity`, in `token_validity_units.refresh_token`; 0 means the default.
    pub refresh_token_validity: Option<i64>,
    /// `TokenValidityUnits`.
    pub token_validity_units: TokenValidityUnits,
    /// `ReadAttributes`: the attributes the client may read.
    pub read_attributes: Option<Vec<String>>,
    /// `WriteAttributes`: the attributes the client may write.
    pub write_attributes: Option<Vec<String>>,
    /// `ExplicitAuthFlows`; none or empty gives [`ExplicitAuthFlow::DEFAULT`].
    pub explicit_auth_flows: Option<Vec<ExplicitAuthFlow>>,
    /// `SupportedIdentityProviders`: `COGNITO` and names of the pool's providers.
    pub supported_identity_providers: Option<Vec<String>>,
    /// `CallbackURLs`.
    pub callback_urls: Option<Vec<String>>,
    /// `LogoutURLs`.
    pub logout_urls: Option<Vec<String>>,
    /// `DefaultRedirectURI`: one of the callback URLs.
    pub default_redirect_uri: Option<String>,
    /// `AllowedOAuthFlows`.
    pub allowed_oauth_flows: Option<Vec<OAuthFlow>>,
    /// `AllowedOAuthScopes`: standard scopes and `{resource server}/{scope}`.
    pub allowed_oauth_scopes: Option<Vec<String>>,
    /// `AllowedOAuthFlowsUserPoolClient`; false when not given.
    pub oauth_enabled: Option<bool>,
    /// `AnalyticsConfiguration`.
    pub analytics: Option<AnalyticsConfiguration>,
    /// `PreventUserExistenceErrors`; LEGACY when not given.
    pub prevent_user_existence_errors: Option<UserExistenceErrors>,
    /// `EnableTokenRevocation`; true when not given.
    pub enable_token_revocation: Option<bool>,
    /// `EnablePropagateAdditionalUserContextData`; false when not given.
    pub propagate_user_context_data: Option<bool>,
    /// `AuthSessionValidity` in minutes; 3 when not given.
    pub auth_session_validity: Option<i64>,
    /// `RefreshTokenRotation`.
    pub refresh_token_rotation: Option<RefreshTokenRotation>,
}

/// CreateUserPoolClient: the name, the secret, and the settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewClient {
    /// `ClientName`.
    pub name: String,
    /// `GenerateSecret`: give the client a generated secret.
    pub generate_secret: bool,
    /// `ClientSecret`: a secret the administrator chose (wins over `generate_secret`).
    pub secret: Option<String>,
    pub definition: ClientDefinition,
}

fn strings<T>(items: &[T], name: impl Fn(&T) -> &str) -> Value {
    Value::Array(items.iter().map(|i| json!(name(i))).collect())
}

impl ClientDefinition {
    /// The refresh-token validity in seconds: as given, or Cognito's 30 days.
    pub fn refresh_secs(&self) -> i64 {
        let given = self.refresh_token_validity.filter(|v| *v > 0);
        given.map(|v| v * self.token_validity_units.refresh().seconds()).unwrap_or(30 * 86400)
    }

    /// The document stored for the client (Cognito's member names): what was given, with
    /// Cognito's defaults for the units, the refresh-token validity, the explicit auth flows
    /// and the switches.
    pub fn document(&self) -> Value {
        let mut s = Map::new();
        let units = &self.token_validity_units;
        let refresh = match self.refresh_token_validity {
            Some(v) if v != 0 => v,
            _ => self.refresh_secs() / units.refresh().seconds(),
        };
        s.insert("RefreshTokenValidity".into(), json!(refresh));
        if let Some(v) = self.access_token_validity {
            s.insert("AccessTokenValidity".into(), json!(v));
        }
        if let Some(v) = self.id_token_validity {
            s.insert("IdTokenValidity".into(), json!(v));
        }
        s.insert(
            "TokenValidityUnits".into(),
            json!({"AccessToken": units.access().as_str(), "IdToken": units.id().as_str(),
                   "RefreshToken": units.refresh().as_str()}),
        );
        let lists = [
            ("ReadAttributes", &self.read_attributes),
            ("WriteAttributes", &self.write_attributes),
            ("SupportedIdentityProviders", &self.supported_identity_providers),
            ("CallbackURLs", &self.callback_urls),
            ("LogoutURLs", &self.logout_urls),
            ("AllowedOAuthScopes", &self.allowed_oauth_scopes),
        ];
        for (member, list) in lists {
            if let Some(l) = list {
                s.insert(member.into(), strings(l, |x| x.as_str()));
            }
        }
        let flows = match &self.explicit_auth_flows {
            Some(f) if !f.is_empty() => f.as_slice(),
            _ => &ExplicitAuthFlow::DEFAULT,
        };
        s.insert("ExplicitAuthFlows".into(), strings(flows, |f| f.as_str()));
        if let Some(d) = &self.default_redirect_uri {
            s.insert("DefaultRedirectURI".into(), json!(d));
        }
        if let Some(f) = &self.allowed_oauth_flows {
            s.insert("AllowedOAuthFlows".into(), strings(f, |f| f.as_str()));
        }
        s.insert("AllowedOAuthFlowsUserPoolClient".into(), json!(self.oauth_enabled.unwrap_or(false)));
        if let Some(a) = &self.analytics {
            s.insert("AnalyticsConfiguration".into(), a.document());
        }
        let prevent = self.prevent_user_existence_errors.unwrap_or(UserExistenceErrors::Legacy);
        s.insert("PreventUserExistenceErrors".into(), json!(prevent.as_str()));
        s.insert("EnableTokenRevocation".into(), json!(self.enable_token_revocation.unwrap_or(true)));
        s.insert(
            "EnablePropagateAdditionalUserContextData".into(),
            json!(self.propagate_user_context_data.unwrap_or(false)),
        );
        s.insert("AuthSessionValidity".into(), json!(self.auth_session_validity.unwrap_or(3)));
        if let Some(r) = &self.refresh_token_rotation {
            let mut rotation = json!({"Feature": if r.enabled { "ENABLED" } else { "DISABLED" }});
            if let Some(g) = r.retry_grace_period_seconds {
                rotation["RetryGracePeriodSeconds"] = json!(g);
            }
            s.insert("RefreshTokenRotation".into(), rotation);
        }
        Value::Object(s)
    }
}

impl AnalyticsConfiguration {
    fn document(&self) -> Value {
        let mut a = Map::new();
        let texts = [
            ("ApplicationId", &self.application_id),
            ("ApplicationArn", &self.application_arn),
            ("RoleArn", &self.role_arn),
            ("ExternalId", &self.external_id),
        ];
        for (member, v) in texts {
            if let Some(v) = v {
                a.insert(member.into(), json!(v));
            }
        }
        if let Some(shared) = self.user_data_shared {
            a.insert("UserDataShared".into(), json!(shared));
        }
        Value::Object(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_spell_cognito_values() {
        for f in OAuthFlow::ALL {
            assert_eq!(OAuthFlow::parse(f.as_str()), Some(f));
        }
        for f in ExplicitAuthFlow::ALL {
            assert_eq!(ExplicitAuthFlow::parse(f.as_str()), Some(f));
        }
        for u in TimeUnit::ALL {
            assert_eq!(TimeUnit::parse(u.as_str()), Some(u));
        }
        assert_eq!(OAuthFlow::parse("token"), None);
        let legacy: Vec<_> = ExplicitAuthFlow::ALL.into_iter().filter(|f| f.is_legacy()).map(|f| f.as_str()).collect();
        assert_eq!(legacy, ["ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"]);
    }

    #[test]
    fn an_empty_definition_stores_cognito_defaults() {
        assert_eq!(
            ClientDefinition::default().document(),
            json!({
                "RefreshTokenValidity": 30,
                "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"},
                "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"],
                "AllowedOAuthFlowsUserPoolClient": false,
                "PreventUserExistenceErrors": "LEGACY",
                "EnableTokenRevocation": true,
                "EnablePropagateAdditionalUserContextData": false,
                "AuthSessionValidity": 3,
            })
        );
    }

    #[test]
    fn given_members_are_kept_and_the_default_refresh_validity_follows_its_unit() {
        let d = ClientDefinition {
            refresh_token_validity: Some(0),
            token_validity_units: TokenValidityUnits { refresh_token: Some(TimeUnit::Hours), ..Default::default() },
            callback_urls: Some(vec![]),
            explicit_auth_flows: Some(vec![]),
            analytics: Some(AnalyticsConfiguration { user_data_shared: Some(true), ..Default::default() }),
            refresh_token_rotation: Some(RefreshTokenRotation { enabled: false, retry_grace_period_seconds: None }),
            ..Default::default()
        };
        let doc = d.document();
        assert_eq!(doc["RefreshTokenValidity"], 720, "30 days in hours");
        assert_eq!(doc["CallbackURLs"], json!([]), "an empty list given is kept");
        assert!(doc.get("LogoutURLs").is_none(), "a list not given stays out");
        assert_eq!(doc["ExplicitAuthFlows"].as_array().map(Vec::len), Some(3), "empty flows get the default");
        assert_eq!(doc["AnalyticsConfiguration"], json!({"UserDataShared": true}));
        assert_eq!(doc["RefreshTokenRotation"], json!({"Feature": "DISABLED"}));
        let kept = ClientDefinition { refresh_token_validity: Some(5), ..d }.document();
        assert_eq!(kept["RefreshTokenValidity"], 5);
    }
}
