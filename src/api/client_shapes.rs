//! App clients on the wire: CreateUserPoolClient / UpdateUserPoolClient input as a
//! [`NewClient`] / [`ClientDefinition`], and a client as Cognito's `UserPoolClientType`. The input
//! has passed the model, so members have their types and enums their values.

use super::{given_text, s};
use crate::userpool::client_definition::{ClientDefinition, NewClient};
use crate::userpool::model::Client;
use serde_json::{Value, json};

/// The settings of a CreateUserPoolClient or UpdateUserPoolClient request: the request has the
/// stored document's shape.
pub(super) fn client_definition(i: &Value) -> ClientDefinition {
    ClientDefinition::from_document(i)
}

/// A CreateUserPoolClient request.
pub(super) fn new_client(i: &Value) -> NewClient {
    NewClient {
        name: s(i, "ClientName").to_string(),
        generate_secret: i["GenerateSecret"].as_bool().unwrap_or(false),
        secret: given_text(&i["ClientSecret"]),
        definition: client_definition(i),
    }
}

/// `UserPoolClientType`: the stored settings, the names and dates, and the secret.
pub(super) fn user_pool_client(c: &Client) -> Value {
    let mut out = (*c.config).clone();
    out["UserPoolId"] = json!(c.pool_id);
    out["ClientName"] = json!(c.name);
    out["ClientId"] = json!(c.id);
    if let Some(s) = &c.secret {
        out["ClientSecret"] = json!(s);
    }
    out["CreationDate"] = json!(c.created_at);
    out["LastModifiedDate"] = json!(c.updated_at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::userpool::client_definition::{
        AnalyticsConfiguration, ExplicitAuthFlow, OAuthFlow, RefreshTokenRotation, TimeUnit, TokenValidityUnits,
        UserExistenceErrors,
    };

    #[test]
    fn absent_members_stay_unset_and_given_ones_are_typed() {
        let d =
            client_definition(&json!({"UserPoolId": "p", "ClientName": "c", "CallbackURLs": null, "LogoutURLs": []}));
        assert_eq!(d, ClientDefinition { logout_urls: Some(vec![]), ..Default::default() });
        let d = client_definition(&json!({
            "AccessTokenValidity": 10, "RefreshTokenValidity": 0,
            "TokenValidityUnits": {"AccessToken": "minutes", "RefreshToken": "hours"},
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlows": ["code", "client_credentials"], "AllowedOAuthFlowsUserPoolClient": true,
            "PreventUserExistenceErrors": "ENABLED", "EnableTokenRevocation": false, "AuthSessionValidity": 7,
            "AnalyticsConfiguration": {"ApplicationId": "abc", "UserDataShared": true},
            "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
        }));
        assert_eq!((d.access_token_validity, d.refresh_token_validity, d.id_token_validity), (Some(10), Some(0), None));
        assert_eq!(
            d.token_validity_units,
            TokenValidityUnits {
                access_token: Some(TimeUnit::Minutes),
                id_token: None,
                refresh_token: Some(TimeUnit::Hours)
            }
        );
        assert_eq!(
            d.explicit_auth_flows,
            Some(vec![ExplicitAuthFlow::AllowUserSrpAuth, ExplicitAuthFlow::AllowRefreshTokenAuth])
        );
        assert_eq!(d.allowed_oauth_flows, Some(vec![OAuthFlow::Code, OAuthFlow::ClientCredentials]));
        assert_eq!(d.oauth_enabled, Some(true));
        assert_eq!(d.prevent_user_existence_errors, Some(UserExistenceErrors::Enabled));
        assert_eq!((d.enable_token_revocation, d.auth_session_validity), (Some(false), Some(7)));
        assert_eq!(
            d.analytics,
            Some(AnalyticsConfiguration {
                application_id: Some("abc".into()),
                user_data_shared: Some(true),
                ..Default::default()
            })
        );
        assert_eq!(
            d.refresh_token_rotation,
            Some(RefreshTokenRotation { enabled: true, retry_grace_period_seconds: Some(10) })
        );
    }

    /// The conversion drops values outside the enums: the model has refused them before.
    #[test]
    fn the_model_refuses_what_the_enums_cannot_hold() {
        let m = crate::api::model::Model::get();
        let base = json!({"UserPoolId": "local_abc", "ClientName": "c"});
        for (member, bad) in [
            ("ExplicitAuthFlows", json!(["ALLOW_EVERYTHING"])),
            ("AllowedOAuthFlows", json!(["token"])),
            ("TokenValidityUnits", json!({"AccessToken": "weeks"})),
            ("PreventUserExistenceErrors", json!("SOMETIMES")),
            ("RefreshTokenRotation", json!({"Feature": "MAYBE"})),
        ] {
            let mut i = base.clone();
            i[member] = bad;
            for action in ["CreateUserPoolClient", "UpdateUserPoolClient"] {
                let mut i = i.clone();
                i["ClientId"] = json!("c1");
                assert!(m.validate(action, &i).is_err(), "{action} {member}");
            }
        }
    }

    #[test]
    fn a_given_secret_and_the_name_are_kept() {
        let n = new_client(&json!({"ClientName": "web", "GenerateSecret": true, "ClientSecret": "s".repeat(24)}));
        assert_eq!((n.name.as_str(), n.generate_secret, n.secret), ("web", true, Some("s".repeat(24))));
        assert!(!new_client(&json!({"ClientName": "web"})).generate_secret);
    }

    /// What the API took in, the service stores and the API shows again: the request's members
    /// round-trip through the definition and its document.
    #[test]
    fn a_request_round_trips_through_the_stored_document() {
        let request = json!({
            "AccessTokenValidity": 60, "IdTokenValidity": 2, "RefreshTokenValidity": 7,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
            "ReadAttributes": ["email"], "WriteAttributes": [], "SupportedIdentityProviders": ["COGNITO"],
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], "CallbackURLs": ["https://a.example/cb"],
            "LogoutURLs": ["https://a.example/bye"], "DefaultRedirectURI": "https://a.example/cb",
            "AllowedOAuthFlows": ["implicit"], "AllowedOAuthScopes": ["openid"], "AllowedOAuthFlowsUserPoolClient": true,
            "AnalyticsConfiguration": {"ApplicationArn": "arn:aws:mobiletargeting:us-east-1:000000000000:apps/x",
                                       "RoleArn": "arn:aws:iam::000000000000:role/r", "ExternalId": "e"},
            "PreventUserExistenceErrors": "ENABLED", "EnableTokenRevocation": false,
            "EnablePropagateAdditionalUserContextData": true, "AuthSessionValidity": 15,
            "RefreshTokenRotation": {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0},
        });
        assert_eq!(client_definition(&request).document(), request);
    }

    #[test]
    fn the_client_type_adds_ids_names_dates_and_the_secret() {
        let row = crate::store::clients::ClientRow {
            id: "c1".into(),
            pool_id: "p1".into(),
            name: "web".into(),
            secret_enc: None,
            config: json!({"AuthSessionValidity": 3}),
            created_at: 5,
            updated_at: 6,
        };
        let v = user_pool_client(&Client::from_row(row.clone(), Some("sec".into())));
        assert_eq!(
            v,
            json!({"AuthSessionValidity": 3, "UserPoolId": "p1", "ClientName": "web", "ClientId": "c1",
                   "ClientSecret": "sec", "CreationDate": 5, "LastModifiedDate": 6})
        );
        assert!(user_pool_client(&Client::from_row(row, None)).get("ClientSecret").is_none());
    }
}
