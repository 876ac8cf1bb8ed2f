//! Redirect URIs as a type that proves its check: a [`RedirectUri`] is only made by an exact,
//! whole-string match against what the client registered (RFC 9700 §4.1.3), so every place that
//! sends a browser to one (codes, implicit tokens, errors, sign-out) takes it, never a string.

use crate::userpool::model::Client;
use std::fmt;

/// A URI registered for the client, as registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// `candidate` if it is one of the client's callback URLs, character for character.
    pub fn callback(client: &Client, candidate: &str) -> Option<RedirectUri> {
        Self::among(client.callback_urls(), candidate)
    }

    /// `candidate` if it is one of the client's sign-out URLs, character for character.
    pub fn sign_out(client: &Client, candidate: &str) -> Option<RedirectUri> {
        Self::among(client.logout_urls(), candidate)
    }

    fn among(registered: &[String], candidate: &str) -> Option<RedirectUri> {
        registered.iter().find(|u| u.as_str() == candidate).map(|u| RedirectUri(u.clone()))
    }

    /// A URI taken as registered, for unit tests of what is built on one.
    #[cfg(test)]
    pub(crate) fn assumed(uri: &str) -> RedirectUri {
        RedirectUri(uri.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client() -> Client {
        let config = json!({"CallbackURLs": ["https://app.example/cb"], "LogoutURLs": ["https://app.example/bye"]});
        Client::for_tests(config, None)
    }

    #[test]
    fn only_an_exact_registered_uri_is_a_redirect_uri() {
        let c = client();
        assert_eq!(RedirectUri::callback(&c, "https://app.example/cb").unwrap().as_str(), "https://app.example/cb");
        for near in [
            "https://app.example/cb/",
            "https://APP.example/cb",
            "https://app.example/cb?x=1",
            "https://app.example/bye",
            "",
        ] {
            assert!(RedirectUri::callback(&c, near).is_none(), "{near}");
        }
        assert!(RedirectUri::sign_out(&c, "https://app.example/bye").is_some());
        assert!(RedirectUri::sign_out(&c, "https://app.example/cb").is_none());
    }
}
