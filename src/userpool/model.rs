//! Typed views over the stored pool and client settings (JSON documents in Cognito's own member
//! names), their defaults, and identifier generation.

use crate::crypto::random_from;
use crate::store::clients::ClientRow;
use crate::store::pools::PoolRow;
use serde_json::{Value, json};

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `{region}_{9 alphanumerics}`.
pub fn new_pool_id(region: &str) -> String {
    format!("{region}_{}", random_from(ALNUM, 9))
}

/// 26 lowercase alphanumerics.
pub fn new_client_id() -> String {
    random_from(LOWER_ALNUM, 26)
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

/// A user pool: its row plus typed accessors for the settings the services enforce.
#[derive(Debug, Clone)]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub config: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<PoolRow> for Pool {
    fn from(r: PoolRow) -> Self {
        Pool { id: r.id, name: r.name, config: r.config, created_at: r.created_at, updated_at: r.updated_at }
    }
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

impl Pool {
    pub fn password_policy(&self) -> PasswordPolicy {
        let p = &self.config["Policies"]["PasswordPolicy"];
        let b = |k: &str| p[k].as_bool().unwrap_or(true);
        let days = p["TemporaryPasswordValidityDays"].as_i64().filter(|d| *d > 0).unwrap_or(7);
        PasswordPolicy {
            minimum_length: p["MinimumLength"].as_u64().unwrap_or(8) as usize,
            require_uppercase: b("RequireUppercase"),
            require_lowercase: b("RequireLowercase"),
            require_numbers: b("RequireNumbers"),
            require_symbols: b("RequireSymbols"),
            temporary_password_validity_days: days,
        }
    }

    pub fn username_attributes(&self) -> Vec<String> {
        str_list(&self.config["UsernameAttributes"])
    }

    pub fn alias_attributes(&self) -> Vec<String> {
        str_list(&self.config["AliasAttributes"])
    }

    /// `UsernameConfiguration.CaseSensitive`; the API default when unset is case-sensitive.
    pub fn case_sensitive(&self) -> bool {
        self.config["UsernameConfiguration"]["CaseSensitive"].as_bool().unwrap_or(true)
    }

    /// The key a username or alias is looked up by.
    pub fn lookup_key(&self, name: &str) -> String {
        if self.case_sensitive() { name.to_string() } else { name.to_lowercase() }
    }

    pub fn schema(&self) -> Vec<Value> {
        self.config["SchemaAttributes"].as_array().cloned().unwrap_or_default()
    }

    pub fn schema_attribute(&self, name: &str) -> Option<Value> {
        self.schema().into_iter().find(|a| a["Name"].as_str() == Some(name))
    }

    pub fn required_attributes(&self) -> Vec<String> {
        self.schema()
            .iter()
            .filter(|a| a["Required"].as_bool() == Some(true) && a["Name"] != "sub")
            .filter_map(|a| a["Name"].as_str().map(str::to_string))
            .collect()
    }

    pub fn arn(&self, region: &str, account: &str) -> String {
        format!("arn:aws:cognito-idp:{region}:{account}:userpool/{}", self.id)
    }
}

/// An app client with typed accessors. `secret` is the decrypted client secret.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub pool_id: String,
    pub name: String,
    pub secret: Option<String>,
    pub config: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Client {
    pub fn from_row(r: ClientRow, secret: Option<String>) -> Self {
        Client {
            id: r.id,
            pool_id: r.pool_id,
            name: r.name,
            secret,
            config: r.config,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    pub fn callback_urls(&self) -> Vec<String> {
        str_list(&self.config["CallbackURLs"])
    }
    pub fn logout_urls(&self) -> Vec<String> {
        str_list(&self.config["LogoutURLs"])
    }
    pub fn allowed_oauth_flows(&self) -> Vec<String> {
        str_list(&self.config["AllowedOAuthFlows"])
    }
    pub fn allowed_oauth_scopes(&self) -> Vec<String> {
        str_list(&self.config["AllowedOAuthScopes"])
    }
    pub fn oauth_enabled(&self) -> bool {
        self.config["AllowedOAuthFlowsUserPoolClient"].as_bool().unwrap_or(false)
    }
    pub fn explicit_auth_flows(&self) -> Vec<String> {
        str_list(&self.config["ExplicitAuthFlows"])
    }
    pub fn supported_identity_providers(&self) -> Vec<String> {
        str_list(&self.config["SupportedIdentityProviders"])
    }
    pub fn token_revocation_enabled(&self) -> bool {
        self.config["EnableTokenRevocation"].as_bool().unwrap_or(true)
    }
    pub fn prevents_user_existence_errors(&self) -> bool {
        self.config["PreventUserExistenceErrors"].as_str() == Some("ENABLED")
    }
    pub fn refresh_rotation(&self) -> bool {
        self.config["RefreshTokenRotation"]["Feature"].as_str() == Some("ENABLED")
    }
    /// Attributes the client may read; `None` = all.
    pub fn read_attributes(&self) -> Option<Vec<String>> {
        self.config.get("ReadAttributes").map(str_list).filter(|l| !l.is_empty())
    }
    pub fn write_attributes(&self) -> Option<Vec<String>> {
        self.config.get("WriteAttributes").map(str_list).filter(|l| !l.is_empty())
    }

    fn validity_secs(&self, field: &str, unit_field: &str, default_unit: &str, default_secs: i64) -> i64 {
        let Some(v) = self.config[field].as_i64().filter(|v| *v > 0) else {
            return default_secs;
        };
        let unit = self.config["TokenValidityUnits"][unit_field].as_str().unwrap_or(default_unit);
        v * unit_seconds(unit)
    }
    pub fn access_token_secs(&self) -> i64 {
        self.validity_secs("AccessTokenValidity", "AccessToken", "hours", 3600)
    }
    pub fn id_token_secs(&self) -> i64 {
        self.validity_secs("IdTokenValidity", "IdToken", "hours", 3600)
    }
    pub fn refresh_token_secs(&self) -> i64 {
        self.validity_secs("RefreshTokenValidity", "RefreshToken", "days", 30 * 86400)
    }
}

pub fn unit_seconds(unit: &str) -> i64 {
    match unit {
        "seconds" => 1,
        "minutes" => 60,
        "hours" => 3600,
        "days" => 86400,
        _ => 3600,
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
        let c = Client {
            id: "c".into(),
            pool_id: "p".into(),
            name: "n".into(),
            secret: None,
            config: json!({"AccessTokenValidity": 5, "TokenValidityUnits": {"AccessToken": "minutes"}, "RefreshTokenValidity": 2}),
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(c.access_token_secs(), 300);
        assert_eq!(c.id_token_secs(), 3600);
        assert_eq!(c.refresh_token_secs(), 2 * 86400);
    }
}
