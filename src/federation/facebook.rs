//! Facebook: OAuth 2.0 through the `oauth2` crate, then the Graph API's `/me` for the fields the
//! attribute mapping names, with `appsecret_proof` (HMAC-SHA256 of the access token keyed by the
//! app secret) as Facebook expects from server-side callers.

use super::{Claims, Provider, Upstream, UpstreamError, UpstreamResult};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, RedirectUrl, Scope, TokenResponse,
    TokenUrl,
};

fn client(
    p: &Provider,
    callback: &str,
) -> UpstreamResult<
    BasicClient<
        oauth2::EndpointSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointNotSet,
        oauth2::EndpointSet,
    >,
> {
    let bad = |what: &str| UpstreamError::invalid(format!("Invalid IdP {what}"));
    let mut c = BasicClient::new(ClientId::new(p.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(p.detail("authorize_url").unwrap_or_default().into()).map_err(|_| bad("authorize_url"))?,
        )
        .set_token_uri(TokenUrl::new(p.detail("token_url").unwrap_or_default().into()).map_err(|_| bad("token_url"))?)
        .set_redirect_uri(RedirectUrl::new(callback.to_string()).map_err(|_| bad("redirect URI"))?)
        // Facebook takes the app id and secret as request parameters.
        .set_auth_type(AuthType::RequestBody);
    if let Some(s) = &p.client_secret {
        c = c.set_client_secret(ClientSecret::new(s.clone()));
    }
    Ok(c)
}

/// The URL of Facebook's login dialog for this sign-in.
pub fn authorize_url(p: &Provider, callback: &str, state: &str) -> UpstreamResult<String> {
    let state = state.to_string();
    let (url, _) = client(p, callback)?
        .authorize_url(move || CsrfToken::new(state))
        // Facebook's scopes are comma separated; pass them as configured.
        .add_scope(Scope::new(p.scopes().to_string()))
        .url();
    Ok(url.to_string())
}

/// Exchange the code and read the user from the Graph API.
pub async fn sign_in(fed: &Upstream, p: &Provider, callback: &str, code: &str) -> UpstreamResult<Claims> {
    let client = client(p, callback)?;
    let exchange = client.exchange_code(AuthorizationCode::new(code.to_string()));
    let tokens = super::timed("token", exchange.request_async(&fed.http))
        .await
        .map_err(|err| super::token_failed(&p.name, err))?;
    let token = tokens.access_token().secret();
    let proof = hex::encode(crate::crypto::hmac_sha256(
        p.client_secret.as_deref().unwrap_or_default().as_bytes(),
        token.as_bytes(),
    ));
    let url = me_url(p, &proof)?;
    let resp =
        super::timed("userinfo", async { fed.http.get(url).bearer_auth(token).send().await?.error_for_status() })
            .await
            .map_err(|e| super::call_failed(&p.name, "attributes", &e))?;
    let claims: Claims = resp
        .json()
        .await
        .map_err(|_| UpstreamError::invalid(format!("{} Error - invalid attributes response", p.name)))?;
    Ok(claims)
}

/// Why Facebook's answer about a presented access token does not sign anyone in.
#[derive(Debug)]
pub enum GraphRefusal {
    /// Graph refused the token (expired, revoked, not a token), in its words.
    Token(String),
    /// Graph could not be asked, or answered something else than Graph answers.
    Upstream(UpstreamError),
}

/// What Facebook says about an access token a client presents itself (an identity pool's
/// `Logins`): the id of the app it was issued to (`{graph}/app`) and the user's Graph id
/// (`{graph}/me?fields=id`). `graph` is the versioned Graph API base URL.
pub async fn presented_token(fed: &Upstream, graph: &str, token: &str) -> Result<(String, Claims), GraphRefusal> {
    let app = graph_get(fed, &format!("{graph}/app"), token).await?;
    let me = graph_get(fed, &format!("{graph}/me?fields=id"), token).await?;
    let id = |c: &Claims| c.get("id").and_then(|v| v.as_str()).map(str::to_string);
    match (id(&app), id(&me)) {
        (Some(app_id), Some(_)) => Ok((app_id, me)),
        _ => Err(GraphRefusal::Upstream(UpstreamError::invalid("Facebook Error - invalid Graph response"))),
    }
}

/// One Graph call with the token as bearer credential. A 4xx with Graph's error body refuses the
/// token; anything else that is not a JSON object is the provider's failure.
async fn graph_get(fed: &Upstream, url: &str, token: &str) -> Result<Claims, GraphRefusal> {
    let resp = super::timed("graph", fed.http.get(url).bearer_auth(token).send())
        .await
        .map_err(|e| GraphRefusal::Upstream(super::call_failed("Facebook", "Graph", &e)))?;
    let status = resp.status();
    let body: Option<Claims> = resp.json().await.ok();
    if status.is_client_error()
        && let Some(message) = body.as_ref().and_then(|b| b.get("error")).and_then(|e| e.get("message"))
    {
        return Err(GraphRefusal::Token(message.as_str().unwrap_or_default().to_string()));
    }
    match body {
        Some(b) if status.is_success() => Ok(b),
        _ => Err(GraphRefusal::Upstream(UpstreamError::invalid(format!(
            "Facebook Error - {} error calling Graph endpoint",
            status.as_u16()
        )))),
    }
}

/// `attributes_url` with the fields the mapping needs (always `id`) and the proof.
fn me_url(p: &Provider, proof: &str) -> UpstreamResult<url::Url> {
    let mut url = url::Url::parse(p.detail("attributes_url").unwrap_or_default())
        .map_err(|_| UpstreamError::invalid("Invalid IdP attributes_url"))?;
    let mut fields = vec!["id".to_string()];
    for claim in p.mapping.values() {
        if !fields.contains(claim) {
            fields.push(claim.clone());
        }
    }
    let kept: Vec<(String, String)> =
        url.query_pairs().filter(|(k, _)| k != "fields").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("fields", &fields.join(","))
        .append_pair("appsecret_proof", proof);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn me_url_asks_for_the_mapped_fields_and_carries_the_proof() {
        let p = Provider {
            name: "Facebook".into(),
            provider_type: "Facebook".into(),
            client_id: "app".into(),
            client_secret: Some("s".into()),
            details: BTreeMap::from([("attributes_url".into(), "https://graph.example/v17.0/me?fields=".into())]),
            given: BTreeMap::new(),
            mapping: BTreeMap::from([("email".into(), "email".into()), ("username".into(), "id".into())]),
        };
        let u = me_url(&p, "abc").unwrap();
        assert_eq!(u.as_str(), "https://graph.example/v17.0/me?fields=id%2Cemail&appsecret_proof=abc");
    }
}
