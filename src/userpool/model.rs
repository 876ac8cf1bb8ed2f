//! Typed views over the stored pool and client settings (JSON documents in Cognito's own member
//! names), their defaults, and identifier generation.

use super::client_definition::{ExplicitAuthFlow, OAuthFlow, TimeUnit};
use crate::crypto::random_from;
use crate::ids::{ClientId, PoolId, Scope};
use crate::store::clients::ClientRow;
use crate::store::pools::PoolRow;
use serde_json::{Value, json};
use std::sync::Arc;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `{region}_{9 alphanumerics}`.
pub fn new_pool_id(region: &str) -> PoolId {
    PoolId::from(format!("{region}_{}", random_from(ALNUM, 9)))
}

/// 26 lowercase alphanumerics.
pub fn new_client_id() -> ClientId {
    ClientId::from(random_from(LOWER_ALNUM, 26))
}

/// 51 lowercase alphanumerics, like Cognito's generated secrets.
pub fn new_client_secret() -> String {
    random_from(LOWER_ALNUM, 51)
}

/// Standard attributes with Cognito's default constraints, in DescribeUserPool's order.
pub const STANDARD_ATTRIBUTES: &[(&str, &str)] = &[
    ("sub", "String"),
    ("name", "String"),
    ("given_name", "String"),
    ("family_name", "String"),
    ("middle_name", "String"),
    ("nickname", "String"),
    ("preferred_username", "String"),
    ("profile", "String"),
    ("picture", "String"),
    ("website", "String"),
    ("email", "String"),
    ("email_verified", "Boolean"),
    ("gender", "String"),
    ("birthdate", "String"),
    ("zoneinfo", "String"),
    ("locale", "String"),
    ("phone_number", "String"),
    ("phone_number_verified", "Boolean"),
    ("address", "String"),
    ("updated_at", "Number"),
];

pub fn standard_schema_entry(name: &str, ty: &str) -> Value {
    let mut e = json!({
        "Name": name,
        "AttributeDataType": ty,
        "DeveloperOnlyAttribute": false,
        "Mutable": name != "sub",
        "Required": name == "sub",
    });
    match (name, ty) {
        ("sub", _) => e["StringAttributeConstraints"] = json!({"MinLength": "1", "MaxLength": "2048"}),
        ("birthdate", _) => e["StringAttributeConstraints"] = json!({"MinLength": "10", "MaxLength": "10"}),
        (_, "String") => e["StringAttributeConstraints"] = json!({"MinLength": "0", "MaxLength": "2048"}),
        (_, "Number") => e["NumberAttributeConstraints"] = json!({"MinValue": "0"}),
        _ => {}
    }
    e
}

#[derive(Debug, Clone, PartialEq)]
pub struct PasswordPolicy {
    pub minimum_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: i64,
}

/// `MfaConfiguration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMode {
    Off,
    Optional,
    On,
}

impl MfaMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMode::Off => "OFF",
            MfaMode::Optional => "OPTIONAL",
            MfaMode::On => "ON",
        }
    }
}

/// The pool settings the services enforce, read from the pool's document once, when the pool
/// is loaded (the document itself stays as stored, for the API's fidelity).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSettings {
    pub password_policy: PasswordPolicy,
    pub username_attributes: Vec<String>,
    pub alias_attributes: Vec<String>,
    /// `UsernameConfiguration.CaseSensitive`; the API default when unset is case-sensitive.
    pub case_sensitive: bool,
    /// `SchemaAttributes`, as Cognito's SchemaAttributeType documents.
    pub schema: Vec<Value>,
    /// Required attributes other than `sub`.
    pub required_attributes: Vec<String>,
    pub mfa_mode: MfaMode,
    /// TOTP is a factor unless `SoftwareTokenMfaConfiguration.Enabled` is false.
    pub totp_allowed: bool,
    /// E-mail OTP is a factor once `EmailMfaConfiguration` is set.
    pub email_mfa_allowed: bool,
    pub admin_create_user_only: bool,
    pub auto_verifies_email: bool,
    /// `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate` names `email`: a
    /// user's new address waits, the old one kept, until its code is verified.
    pub email_update_needs_verification: bool,
    /// `AccountRecoverySetting` leaves recovery to administrators only.
    pub recovery_admin_only: bool,
    /// `DeletionProtection` is ACTIVE: DeleteUserPool is refused.
    pub deletion_protected: bool,
    /// `DeviceConfiguration`, when set: API sign-ins are issued to a device the user may remember.
    pub devices: Option<DeviceTracking>,
}

/// How a pool remembers devices (`DeviceConfiguration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTracking {
    /// `ChallengeRequiredOnNewDevice`: a remembered device's proof stands in for the second
    /// factor (other devices still give one where MFA applies).
    pub device_replaces_mfa: bool,
    /// `DeviceOnlyRememberedOnUserPrompt`: a confirmed device is remembered only when the user
    /// asks (UpdateDeviceStatus); otherwise at once.
    pub remembered_on_prompt: bool,
}

impl PoolSettings {
    pub fn parse(c: &Value) -> Self {
        let p = &c["Policies"]["PasswordPolicy"];
        let b = |k: &str| p[k].as_bool().unwrap_or(true);
        let days = p["TemporaryPasswordValidityDays"].as_i64().filter(|d| *d > 0).unwrap_or(7);
        let password_policy = PasswordPolicy {
            minimum_length: p["MinimumLength"].as_u64().unwrap_or(8) as usize,
            require_uppercase: b("RequireUppercase"),
            require_lowercase: b("RequireLowercase"),
            require_numbers: b("RequireNumbers"),
            require_symbols: b("RequireSymbols"),
            temporary_password_validity_days: days,
        };
        let schema = c["SchemaAttributes"].as_array().cloned().unwrap_or_default();
        let required_attributes = schema
            .iter()
            .filter(|a| a["Required"].as_bool() == Some(true) && a["Name"] != "sub")
            .filter_map(|a| a["Name"].as_str().map(str::to_string))
            .collect();
        let mfa_mode = match c["MfaConfiguration"].as_str() {
            Some("ON") => MfaMode::On,
            Some("OPTIONAL") => MfaMode::Optional,
            _ => MfaMode::Off,
        };
        PoolSettings {
            password_policy,
            username_attributes: str_list(&c["UsernameAttributes"]),
            alias_attributes: str_list(&c["AliasAttributes"]),
            case_sensitive: c["UsernameConfiguration"]["CaseSensitive"].as_bool().unwrap_or(true),
            schema,
            required_attributes,
            mfa_mode,
            totp_allowed: c["SoftwareTokenMfaConfiguration"]["Enabled"].as_bool().unwrap_or(true),
            email_mfa_allowed: c["EmailMfaConfiguration"].is_object(),
            admin_create_user_only: c["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] == true,
            auto_verifies_email: c["AutoVerifiedAttributes"].as_array().is_some_and(|a| a.iter().any(|x| x == "email")),
            email_update_needs_verification:
                c["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == "email")),
            recovery_admin_only: c["AccountRecoverySetting"]["RecoveryMechanisms"]
                .as_array()
                .is_some_and(|m| m.iter().any(|x| x["Name"] == "admin_only")),
            deletion_protected: c["DeletionProtection"] == "ACTIVE",
            devices: c["DeviceConfiguration"].as_object().map(|d| DeviceTracking {
                device_replaces_mfa: d.get("ChallengeRequiredOnNewDevice") == Some(&Value::Bool(true)),
                remembered_on_prompt: d.get("DeviceOnlyRememberedOnUserPrompt") == Some(&Value::Bool(true)),
            }),
        }
    }
}

/// A user pool: its row, and the settings parsed from its document ([`PoolSettings`]).
/// Built only by [`Pool::new`], so the two always agree.
#[derive(Debug, Clone)]
pub struct Pool {
    pub id: PoolId,
    pub name: String,
    /// The stored document, in Cognito's member names (read it for the API's answers only).
    /// Shared, like the settings: a pool is cloned out of the settings cache on every request.
    pub config: Arc<Value>,
    /// Shared: a pool is cloned out of the settings cache on every request.
    pub settings: Arc<PoolSettings>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<PoolRow> for Pool {
    fn from(r: PoolRow) -> Self {
        Pool::new(r.id, r.name, r.config, r.created_at, r.updated_at)
    }
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

impl Pool {
    pub fn new(id: PoolId, name: String, config: Value, created_at: i64, updated_at: i64) -> Self {
        let settings = Arc::new(PoolSettings::parse(&config));
        Pool { id, name, config: Arc::new(config), settings, created_at, updated_at }
    }

    /// The same pool with another document (settings parsed again).
    pub fn with_config(&self, config: Value) -> Self {
        Pool::new(self.id.clone(), self.name.clone(), config, self.created_at, self.updated_at)
    }

    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.settings.password_policy
    }

    pub fn username_attributes(&self) -> &[String] {
        &self.settings.username_attributes
    }

    pub fn alias_attributes(&self) -> &[String] {
        &self.settings.alias_attributes
    }

    pub fn case_sensitive(&self) -> bool {
        self.settings.case_sensitive
    }

    /// The key a username or alias is looked up by.
    pub fn lookup_key(&self, name: &str) -> String {
        if self.case_sensitive() { name.to_string() } else { name.to_lowercase() }
    }

    pub fn schema(&self) -> &[Value] {
        &self.settings.schema
    }

    pub fn schema_attribute(&self, name: &str) -> Option<&Value> {
        self.schema().iter().find(|a| a["Name"].as_str() == Some(name))
    }

    pub fn required_attributes(&self) -> &[String] {
        &self.settings.required_attributes
    }

    /// `Policies.SignInPolicy.AllowedFirstAuthFactors` (Cognito's default: PASSWORD alone).
    pub fn allowed_first_factors(&self) -> Vec<String> {
        match self.config["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"].as_array() {
            Some(a) => a.iter().filter_map(|f| f.as_str().map(str::to_string)).collect(),
            None => vec!["PASSWORD".to_string()],
        }
    }

    pub fn mfa_mode(&self) -> MfaMode {
        self.settings.mfa_mode
    }

    pub fn totp_allowed(&self) -> bool {
        self.settings.totp_allowed
    }

    pub fn email_mfa_allowed(&self) -> bool {
        self.settings.email_mfa_allowed
    }

    pub fn admin_create_user_only(&self) -> bool {
        self.settings.admin_create_user_only
    }

    pub fn auto_verifies_email(&self) -> bool {
        self.settings.auto_verifies_email
    }

    pub fn email_update_needs_verification(&self) -> bool {
        self.settings.email_update_needs_verification
    }

    pub fn recovery_admin_only(&self) -> bool {
        self.settings.recovery_admin_only
    }

    pub fn deletion_protected(&self) -> bool {
        self.settings.deletion_protected
    }

    /// Whether and how the pool remembers devices.
    pub fn devices(&self) -> Option<DeviceTracking> {
        self.settings.devices
    }

    pub fn arn(&self, region: &str, account: &str) -> String {
        format!("arn:aws:cognito-idp:{region}:{account}:userpool/{}", self.id)
    }
}

/// The client settings the services enforce, read from the client's document once.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub allowed_oauth_flows: Vec<OAuthFlow>,
    pub allowed_oauth_scopes: Vec<Scope>,
    pub oauth_enabled: bool,
    pub explicit_auth_flows: Vec<ExplicitAuthFlow>,
    pub supported_identity_providers: Vec<String>,
    pub token_revocation_enabled: bool,
    pub prevents_user_existence_errors: bool,
    pub refresh_rotation: bool,
    /// `RefreshTokenRotation.RetryGracePeriodSeconds` (0 to 60): how long a rotated refresh
    /// token still refreshes.
    pub refresh_grace_secs: i64,
    /// Attributes the client may read; `None` = all.
    pub read_attributes: Option<Vec<String>>,
    /// Attributes the client may write; `None` = all writable ones.
    pub write_attributes: Option<Vec<String>>,
    pub access_token_secs: i64,
    pub id_token_secs: i64,
    pub refresh_token_secs: i64,
    /// `AuthSessionValidity`: how long a sign-in challenge stays open, 3 to 15 minutes.
    pub auth_session_minutes: i64,
}

impl ClientSettings {
    pub fn parse(c: &Value) -> Self {
        let validity = |field: &str, unit_field: &str, default_unit: &str, default_secs: i64| {
            let Some(v) = c[field].as_i64().filter(|v| *v > 0) else {
                return default_secs;
            };
            let unit = c["TokenValidityUnits"][unit_field].as_str().unwrap_or(default_unit);
            v * TimeUnit::parse(unit).map_or(3600, TimeUnit::seconds)
        };
        ClientSettings {
            callback_urls: str_list(&c["CallbackURLs"]),
            logout_urls: str_list(&c["LogoutURLs"]),
            allowed_oauth_flows: str_list(&c["AllowedOAuthFlows"]).iter().filter_map(|f| OAuthFlow::parse(f)).collect(),
            allowed_oauth_scopes: str_list(&c["AllowedOAuthScopes"]).into_iter().map(Scope::from).collect(),
            oauth_enabled: c["AllowedOAuthFlowsUserPoolClient"].as_bool().unwrap_or(false),
            explicit_auth_flows: str_list(&c["ExplicitAuthFlows"])
                .iter()
                .filter_map(|f| ExplicitAuthFlow::parse(f))
                .collect(),
            supported_identity_providers: str_list(&c["SupportedIdentityProviders"]),
            token_revocation_enabled: c["EnableTokenRevocation"].as_bool().unwrap_or(true),
            prevents_user_existence_errors: c["PreventUserExistenceErrors"].as_str() == Some("ENABLED"),
            refresh_rotation: c["RefreshTokenRotation"]["Feature"].as_str() == Some("ENABLED"),
            refresh_grace_secs: c["RefreshTokenRotation"]["RetryGracePeriodSeconds"].as_i64().unwrap_or(0).clamp(0, 60),
            read_attributes: c.get("ReadAttributes").map(str_list).filter(|l| !l.is_empty()),
            write_attributes: c.get("WriteAttributes").map(str_list).filter(|l| !l.is_empty()),
            access_token_secs: validity("AccessTokenValidity", "AccessToken", "hours", 3600),
            id_token_secs: validity("IdTokenValidity", "IdToken", "hours", 3600),
            refresh_token_secs: validity("RefreshTokenValidity", "RefreshToken", "days", 30 * 86400),
            auth_session_minutes: c["AuthSessionValidity"].as_i64().unwrap_or(3).clamp(3, 15),
        }
    }
}

/// An app client: its row, its decrypted secret, and the settings parsed from its document
/// ([`ClientSettings`]). Built only by [`Client::new`], so the two always agree.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: ClientId,
    pub pool_id: PoolId,
    pub name: String,
    pub secret: Option<String>,
    /// Its other secret while two are valid (after AddUserPoolClientSecret): authentication
    /// accepts either.
    pub other_secrets: Vec<String>,
    /// The stored document, in Cognito's member names (read it for the API's answers only).
    /// Shared, like the settings.
    pub config: Arc<Value>,
    /// Shared: a client is cloned out of the settings cache on every request.
    pub settings: Arc<ClientSettings>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
impl Client {
    /// A client `c1` of pool `p` with these settings, for unit tests.
    pub(crate) fn for_tests(config: Value, secret: Option<&str>) -> Client {
        let row = ClientRow {
            id: "c1".into(),
            pool_id: "p".into(),
            name: "n".into(),
            secret_enc: None,
            config,
            created_at: 0,
            updated_at: 0,
        };
        Client::from_row(row, secret.map(str::to_string))
    }
}

impl Client {
    pub fn from_row(r: ClientRow, secret: Option<String>) -> Self {
        let settings = Arc::new(ClientSettings::parse(&r.config));
        Client {
            id: r.id,
            pool_id: r.pool_id,
            name: r.name,
            secret,
            other_secrets: Vec::new(),
            config: Arc::new(r.config),
            settings,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    /// The client's settings as UpdateUserPoolClient takes them.
    pub fn definition(&self) -> super::client_definition::ClientDefinition {
        super::client_definition::ClientDefinition::from_document(&self.config)
    }

    pub fn callback_urls(&self) -> &[String] {
        &self.settings.callback_urls
    }
    pub fn logout_urls(&self) -> &[String] {
        &self.settings.logout_urls
    }
    pub fn allowed_oauth_flows(&self) -> &[OAuthFlow] {
        &self.settings.allowed_oauth_flows
    }
    pub fn allowed_oauth_scopes(&self) -> &[Scope] {
        &self.settings.allowed_oauth_scopes
    }
    pub fn oauth_enabled(&self) -> bool {
        self.settings.oauth_enabled
    }
    pub fn explicit_auth_flows(&self) -> &[ExplicitAuthFlow] {
        &self.settings.explicit_auth_flows
    }
    pub fn supported_identity_providers(&self) -> &[String] {
        &self.settings.supported_identity_providers
    }
    pub fn token_revocation_enabled(&self) -> bool {
        self.settings.token_revocation_enabled
    }
    pub fn prevents_user_existence_errors(&self) -> bool {
        self.settings.prevents_user_existence_errors
    }
    pub fn refresh_rotation(&self) -> bool {
        self.settings.refresh_rotation
    }
    pub fn refresh_grace_secs(&self) -> i64 {
        self.settings.refresh_grace_secs
    }
    pub fn read_attributes(&self) -> Option<&[String]> {
        self.settings.read_attributes.as_deref()
    }
    pub fn write_attributes(&self) -> Option<&[String]> {
        self.settings.write_attributes.as_deref()
    }
    pub fn access_token_secs(&self) -> i64 {
        self.settings.access_token_secs
    }
    pub fn id_token_secs(&self) -> i64 {
        self.settings.id_token_secs
    }
    pub fn refresh_token_secs(&self) -> i64 {
        self.settings.refresh_token_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_cognito_shapes() {
        let p = new_pool_id("us-east-1");
        let (region, rest) = p.split_once('_').unwrap();
        assert_eq!(region, "us-east-1");
        assert_eq!(rest.len(), 9);
        assert!(rest.bytes().all(|b| b.is_ascii_alphanumeric()));
        let c = new_client_id();
        assert_eq!(c.len(), 26);
        assert!(c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    }

    #[test]
    fn validity_units_convert() {
        let config = json!({"AccessTokenValidity": 5, "TokenValidityUnits": {"AccessToken": "minutes"}, "RefreshTokenValidity": 2, "AuthSessionValidity": 60});
        let c = Client::for_tests(config, None);
        assert_eq!(c.access_token_secs(), 300);
        assert_eq!(c.id_token_secs(), 3600);
        assert_eq!(c.refresh_token_secs(), 2 * 86400);
        assert_eq!(c.settings.auth_session_minutes, 15, "clamped to Cognito's 3-15 minutes");
    }

    #[test]
    fn pool_settings_follow_the_document_and_its_defaults() {
        let p = Pool::new("p".into(), "n".into(), json!({}), 0, 0);
        assert_eq!(p.mfa_mode(), MfaMode::Off);
        assert!(p.totp_allowed() && !p.email_mfa_allowed() && p.case_sensitive());
        assert_eq!(p.password_policy().minimum_length, 8);
        let doc = json!({"MfaConfiguration": "ON", "EmailMfaConfiguration": {}, "UsernameConfiguration": {"CaseSensitive": false},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]}});
        let q = p.with_config(doc);
        assert_eq!(q.mfa_mode(), MfaMode::On);
        assert!(q.email_mfa_allowed() && !q.case_sensitive() && q.recovery_admin_only());
    }
}
