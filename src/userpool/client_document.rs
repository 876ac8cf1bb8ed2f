//! Reading a client's settings back from its document (the stored one, or a request of the same
//! shape) into a [`ClientDefinition`].

use super::client_definition::{
    AnalyticsConfiguration, ClientDefinition, ExplicitAuthFlow, OAuthFlow, RefreshTokenRotation, TimeUnit,
    TokenValidityUnits, UserExistenceErrors,
};
use serde_json::Value;

fn given_strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
}

fn given_text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// A list member of an enum's values.
fn values<T>(v: &Value, parse: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).filter_map(parse).collect())
}

impl ClientDefinition {
    /// The settings a client document holds (the stored one, or a CreateUserPoolClient /
    /// UpdateUserPoolClient request, which has the same members): what
    /// [`ClientDefinition::document`] writes, read back. Members of the wrong type are left out.
    pub fn from_document(i: &Value) -> ClientDefinition {
        let units = &i["TokenValidityUnits"];
        let unit = |k: &str| units[k].as_str().and_then(TimeUnit::parse);
        let analytics = &i["AnalyticsConfiguration"];
        let rotation = &i["RefreshTokenRotation"];
        ClientDefinition {
            access_token_validity: i["AccessTokenValidity"].as_i64(),
            id_token_validity: i["IdTokenValidity"].as_i64(),
            refresh_token_validity: i["RefreshTokenValidity"].as_i64(),
            token_validity_units: TokenValidityUnits {
                access_token: unit("AccessToken"),
                id_token: unit("IdToken"),
                refresh_token: unit("RefreshToken"),
            },
            read_attributes: given_strings(&i["ReadAttributes"]),
            write_attributes: given_strings(&i["WriteAttributes"]),
            explicit_auth_flows: values(&i["ExplicitAuthFlows"], ExplicitAuthFlow::parse),
            supported_identity_providers: given_strings(&i["SupportedIdentityProviders"]),
            callback_urls: given_strings(&i["CallbackURLs"]),
            logout_urls: given_strings(&i["LogoutURLs"]),
            default_redirect_uri: given_text(&i["DefaultRedirectURI"]),
            allowed_oauth_flows: values(&i["AllowedOAuthFlows"], OAuthFlow::parse),
            allowed_oauth_scopes: given_strings(&i["AllowedOAuthScopes"]),
            oauth_enabled: i["AllowedOAuthFlowsUserPoolClient"].as_bool(),
            analytics: analytics.is_object().then(|| AnalyticsConfiguration {
                application_id: given_text(&analytics["ApplicationId"]),
                application_arn: given_text(&analytics["ApplicationArn"]),
                role_arn: given_text(&analytics["RoleArn"]),
                external_id: given_text(&analytics["ExternalId"]),
                user_data_shared: analytics["UserDataShared"].as_bool(),
            }),
            prevent_user_existence_errors: i["PreventUserExistenceErrors"]
                .as_str()
                .and_then(UserExistenceErrors::parse),
            enable_token_revocation: i["EnableTokenRevocation"].as_bool(),
            propagate_user_context_data: i["EnablePropagateAdditionalUserContextData"].as_bool(),
            auth_session_validity: i["AuthSessionValidity"].as_i64(),
            refresh_token_rotation: rotation.is_object().then(|| RefreshTokenRotation {
                enabled: rotation["Feature"] == "ENABLED",
                retry_grace_period_seconds: rotation["RetryGracePeriodSeconds"].as_i64(),
            }),
        }
    }
}
