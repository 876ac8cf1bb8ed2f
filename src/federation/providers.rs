//! What each provider type is: Cognito's ProviderDetails keys, which of them are required, and
//! the upstream endpoints a provider uses unless its details override them (the real Google and
//! Facebook endpoints by default).

use std::collections::BTreeMap;

/// Provider types this server federates to.
pub const TYPES: &[&str] = &["Google", "Facebook", "OIDC"];

/// Provider types Cognito has that this server does not federate to.
pub const UNSUPPORTED_TYPES: &[&str] = &["SAML", "LoginWithAmazon", "SignInWithApple"];

/// ProviderDetails keys that hold upstream URLs (each must pass [`url_allowed`]).
pub const URL_DETAILS: &[&str] = &["authorize_url", "token_url", "attributes_url", "oidc_issuer", "jwks_uri"];

/// Google's issuer, and the key set its ID tokens are signed with.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
pub const GOOGLE_JWKS_URI: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// The Facebook Graph API version used when `api_version` is not given.
pub const FACEBOOK_API_VERSION: &str = "v17.0";

/// ProviderDetails keys a provider of `provider_type` must be given.
pub fn required_details(provider_type: &str) -> &'static [&'static str] {
    match provider_type {
        "Google" | "Facebook" => &["client_id", "client_secret", "authorize_scopes"],
        "OIDC" => &["client_id", "authorize_scopes", "oidc_issuer", "attributes_request_method"],
        _ => &[],
    }
}

/// ProviderDetails keys a provider of `provider_type` may be given besides the required ones.
pub fn optional_details(provider_type: &str) -> &'static [&'static str] {
    match provider_type {
        "Google" => &[
            "authorize_url",
            "token_url",
            "attributes_url",
            "oidc_issuer",
            "jwks_uri",
            "token_request_method",
            "attributes_url_add_attributes",
        ],
        "Facebook" => &[
            "api_version",
            "authorize_url",
            "token_url",
            "attributes_url",
            "token_request_method",
            "attributes_url_add_attributes",
        ],
        "OIDC" => &[
            "client_secret",
            "authorize_url",
            "token_url",
            "attributes_url",
            "jwks_uri",
            "token_endpoint_auth_method",
            "attributes_url_add_attributes",
        ],
        _ => &[],
    }
}

/// Details Cognito fills in for a provider when they are not given (DescribeIdentityProvider
/// shows them). `details` are the given ones; Facebook's URLs follow its `api_version`.
pub fn default_details(provider_type: &str, api_version: Option<&str>) -> Vec<(&'static str, String)> {
    match provider_type {
        "Google" => vec![
            ("authorize_url", "https://accounts.google.com/o/oauth2/v2/auth".into()),
            ("token_url", "https://www.googleapis.com/oauth2/v4/token".into()),
            ("attributes_url", "https://people.googleapis.com/v1/people/me?personFields=".into()),
            ("oidc_issuer", GOOGLE_ISSUER.into()),
            ("jwks_uri", GOOGLE_JWKS_URI.into()),
            ("token_request_method", "POST".into()),
            ("attributes_url_add_attributes", "true".into()),
        ],
        "Facebook" => {
            let v = api_version.unwrap_or(FACEBOOK_API_VERSION);
            vec![
                ("api_version", v.to_string()),
                ("authorize_url", format!("https://www.facebook.com/{v}/dialog/oauth")),
                ("token_url", format!("https://graph.facebook.com/{v}/oauth/access_token")),
                ("attributes_url", format!("https://graph.facebook.com/{v}/me?fields=")),
                ("token_request_method", "GET".into()),
                ("attributes_url_add_attributes", "true".into()),
            ]
        }
        _ => vec![],
    }
}

/// A provider's details as DescribeIdentityProvider shows them, without `client_secret`: the
/// given ones over Cognito's defaults for the type.
pub fn with_defaults(provider_type: &str, given: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> =
        default_details(provider_type, given.get("api_version").map(String::as_str))
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
    out.extend(given.iter().filter(|(k, _)| *k != "client_secret").map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// The type of a provider known only by name: Google and Facebook providers must be named after
/// their type (Cognito's rule), so any other name is an OIDC provider here.
pub fn type_of_name(name: &str) -> &'static str {
    match name {
        "Google" => "Google",
        "Facebook" => "Facebook",
        _ => "OIDC",
    }
}

/// The attribute mapping every provider of a type gets: the pool's `username` is the upstream
/// user id.
pub fn default_mapping(provider_type: &str) -> (&'static str, &'static str) {
    match provider_type {
        "Facebook" => ("username", "id"),
        _ => ("username", "sub"),
    }
}

/// An upstream URL must be https, or http on a loopback host (local deployments and tests).
pub fn url_allowed(s: &str) -> bool {
    let Ok(u) = url::Url::parse(s) else { return false };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => match u.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(a)) => a.is_loopback(),
            Some(url::Host::Ipv6(a)) => a.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_https_or_loopback_http() {
        assert!(url_allowed("https://accounts.google.com"));
        assert!(url_allowed("http://127.0.0.1:8080/x"));
        assert!(url_allowed("http://localhost:1/"));
        assert!(url_allowed("http://[::1]:9/"));
        assert!(!url_allowed("http://example.com/"));
        assert!(!url_allowed("http://10.0.0.1/"));
        assert!(!url_allowed("ftp://127.0.0.1/"));
        assert!(!url_allowed("not a url"));
    }

    #[test]
    fn given_details_override_the_defaults_and_never_show_the_secret() {
        let given: BTreeMap<String, String> = [
            ("client_id".to_string(), "id".to_string()),
            ("client_secret".into(), "s3cret".into()),
            ("token_url".into(), "http://127.0.0.1:9/token".into()),
        ]
        .into();
        let d = with_defaults("Google", &given);
        assert_eq!(d["token_url"], "http://127.0.0.1:9/token");
        assert_eq!(d["authorize_url"], "https://accounts.google.com/o/oauth2/v2/auth");
        assert_eq!(d["client_id"], "id");
        assert!(!d.contains_key("client_secret"));
        assert_eq!(with_defaults("OIDC", &given).len(), 2);
    }

    #[test]
    fn facebook_defaults_follow_the_api_version() {
        let d = default_details("Facebook", Some("v19.0"));
        assert!(d.contains(&("token_url", "https://graph.facebook.com/v19.0/oauth/access_token".to_string())));
    }
}
