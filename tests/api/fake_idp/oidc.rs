//! The fake OpenID Connect provider (the fake Google, and any OIDC provider): discovery,
//! `/authorize` with auto-consent, `/token` with client authentication and PKCE, RS256 ID tokens
//! from a rotatable key, `/userinfo` and `/jwks`, and the misbehaviours of [`Behavior`].

use super::{Params, bad_page, bearer, lock, now, parse_params, redirect_with, serve, to_hex};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portcullis::crypto::{constant_time_eq, random_token, sha256};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How [`FakeOidc`] misbehaves. `Deny` is applied at `/authorize`, the rest at `/token`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Behavior {
    #[default]
    Normal,
    /// The user refuses consent: `error=access_denied` back to the relying party.
    Deny,
    /// The ID token is signed by a key that is not in the JWKS, under the published `kid`.
    ForgedSignature,
    /// The ID token expired an hour ago.
    Expired,
    /// The ID token is for another client.
    WrongAudience,
    /// The ID token names another issuer.
    WrongIssuer,
    /// The ID token carries a nonce other than the one sent to `/authorize`.
    WrongNonce,
    /// The token endpoint answers this status with an RFC 6749 error body.
    TokenError(u16),
    /// The token endpoint waits this long before answering (normally).
    TokenDelay(Duration),
    /// The token response has no `id_token`.
    NoIdToken,
}

/// An RSA-2048 signing key with its `kid` and public JWK.
struct SigningKey {
    kid: String,
    pair: KeyPair,
    jwk: Value,
}

impl SigningKey {
    async fn generate() -> SigningKey {
        let pair = tokio::task::spawn_blocking(|| KeyPair::generate(KeySize::Rsa2048))
            .await
            .expect("key generation task")
            .expect("RSA key generation");
        let n = pair.public_key().modulus().big_endian_without_leading_zero().to_vec();
        let e = pair.public_key().exponent().big_endian_without_leading_zero().to_vec();
        // Google's kids look like 40 hex digits.
        let kid = to_hex(&sha256(&n)[..20]);
        let jwk = json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
        });
        SigningKey { kid, pair, jwk }
    }

    /// A compact RS256 JWS of `claims` whose header names `kid`.
    fn sign_jwt(&self, kid: &str, claims: &Value) -> String {
        let head = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string());
        let input = format!("{head}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig).expect("RS256");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// What `/authorize` granted, checked when the code is redeemed.
struct Grant {
    client_id: String,
    redirect_uri: String,
    scope: String,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    auth_time: i64,
}

struct OidcState {
    issuer: String,
    client_id: String,
    client_secret: String,
    user: Value,
    behavior: Behavior,
    key: SigningKey,
    /// A key outside the JWKS, made on the first `ForgedSignature` token.
    forger: Option<Arc<SigningKey>>,
    codes: HashMap<String, Grant>,
    access_tokens: HashSet<String>,
    last_authorize: Option<Params>,
    last_token_request: Option<Params>,
    last_token_auth_method: Option<String>,
    authorize_requests: usize,
    token_requests: usize,
    userinfo_requests: usize,
    jwks_fetches: usize,
}

/// A fake OpenID Connect provider on loopback: discovery, `/authorize` (auto-consent),
/// `/token`, `/userinfo`, `/jwks`.
#[derive(Clone)]
pub struct FakeOidc {
    base: String,
    state: Arc<Mutex<OidcState>>,
}

impl FakeOidc {
    /// Start a provider with client `fake-client-id` / `fake-client-secret` and a default user.
    pub async fn start() -> FakeOidc {
        let key = SigningKey::generate().await;
        let state = Arc::new(Mutex::new(OidcState {
            issuer: String::new(),
            client_id: "fake-client-id.apps.example".into(),
            client_secret: "fake-client-secret".into(),
            user: json!({"sub": "10769150350006150715113082367", "email": "jane@example.com",
                         "email_verified": true, "name": "Jane Doe"}),
            behavior: Behavior::Normal,
            key,
            forger: None,
            codes: HashMap::new(),
            access_tokens: HashSet::new(),
            last_authorize: None,
            last_token_request: None,
            last_token_auth_method: None,
            authorize_requests: 0,
            token_requests: 0,
            userinfo_requests: 0,
            jwks_fetches: 0,
        }));
        let base = serve(state.clone(), oidc_routes);
        lock(&state).issuer = base.clone();
        FakeOidc { base, state }
    }

    /// `http://127.0.0.1:PORT`, which is also the issuer.
    pub fn base(&self) -> String {
        self.base.clone()
    }

    pub fn issuer(&self) -> String {
        self.base.clone()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn client_id(&self) -> String {
        lock(&self.state).client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        lock(&self.state).client_secret.clone()
    }

    /// The one client this provider knows.
    pub fn set_client(&self, id: &str, secret: &str) {
        let mut s = lock(&self.state);
        s.client_id = id.into();
        s.client_secret = secret.into();
    }

    /// The signed-in user's claims (must include `sub`), for ID tokens and userinfo.
    pub fn set_user(&self, claims: Value) {
        lock(&self.state).user = claims;
    }

    pub fn user(&self) -> Value {
        lock(&self.state).user.clone()
    }

    pub fn set_behavior(&self, behavior: Behavior) {
        lock(&self.state).behavior = behavior;
    }

    /// The query of the last `/authorize` request.
    pub fn last_authorize(&self) -> Option<Params> {
        lock(&self.state).last_authorize.clone()
    }

    /// The form of the last `/token` request, `client_secret` left out.
    pub fn last_token_request(&self) -> Option<Params> {
        lock(&self.state).last_token_request.clone()
    }

    /// How the client authenticated at `/token` last: `client_secret_basic`,
    /// `client_secret_post` or `none`.
    pub fn last_token_auth_method(&self) -> Option<String> {
        lock(&self.state).last_token_auth_method.clone()
    }

    pub fn authorize_requests(&self) -> usize {
        lock(&self.state).authorize_requests
    }

    pub fn token_requests(&self) -> usize {
        lock(&self.state).token_requests
    }

    pub fn userinfo_requests(&self) -> usize {
        lock(&self.state).userinfo_requests
    }

    pub fn jwks_fetches(&self) -> usize {
        lock(&self.state).jwks_fetches
    }

    /// The `kid` ID tokens are signed with now.
    pub fn kid(&self) -> String {
        lock(&self.state).key.kid.clone()
    }

    /// Sign with a new key under a new `kid`; the JWKS then publishes only the new key, so a
    /// relying party with the old JWKS cached must refetch it.
    pub async fn rotate_key(&self) {
        let key = SigningKey::generate().await;
        lock(&self.state).key = key;
    }
}

fn oidc_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/openid-configuration", web::get().to(oidc_discovery))
        .route("/authorize", web::get().to(oidc_authorize))
        .route("/token", web::post().to(oidc_token))
        .route("/userinfo", web::get().to(oidc_userinfo))
        .route("/userinfo", web::post().to(oidc_userinfo))
        .route("/jwks", web::get().to(oidc_jwks));
}

type OidcData = web::Data<Mutex<OidcState>>;

async fn oidc_discovery(state: OidcData) -> HttpResponse {
    let issuer = lock(&state).issuer.clone();
    HttpResponse::Ok().json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": ["openid", "email", "profile"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "email",
                             "email_verified", "name", "given_name", "family_name", "picture", "locale"],
    }))
}

async fn oidc_authorize(state: OidcData, req: HttpRequest) -> HttpResponse {
    let q = parse_params(req.query_string().as_bytes());
    let mut s = lock(&state);
    s.authorize_requests += 1;
    s.last_authorize = Some(q.clone());
    if q.get("client_id") != Some(&s.client_id) {
        return bad_page("Error 401: invalid_client. The OAuth client was not found.");
    }
    let Some(redirect_uri) = q.get("redirect_uri") else {
        return bad_page("Error 400: invalid_request. Missing required parameter: redirect_uri");
    };
    if url::Url::parse(redirect_uri).is_err() {
        return bad_page("Error 400: invalid_request. Invalid parameter value for redirect_uri");
    }
    let state_param = q.get("state").map(String::as_str).unwrap_or_default();
    let with_state = |mut pairs: Vec<(&'static str, String)>| {
        if q.contains_key("state") {
            pairs.push(("state", state_param.to_string()));
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect_with(redirect_uri, &borrowed)
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return with_state(vec![("error", "unsupported_response_type".into())]);
    }
    if s.behavior == Behavior::Deny {
        return with_state(vec![
            ("error", "access_denied".into()),
            ("error_description", "The user denied consent".into()),
        ]);
    }
    let code = random_token();
    let client_id = s.client_id.clone();
    s.codes.insert(
        code.clone(),
        Grant {
            client_id,
            redirect_uri: redirect_uri.clone(),
            scope: q.get("scope").cloned().unwrap_or_default(),
            nonce: q.get("nonce").cloned(),
            code_challenge: q.get("code_challenge").cloned(),
            code_challenge_method: q.get("code_challenge_method").cloned(),
            auth_time: now(),
        },
    );
    with_state(vec![("code", code)])
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({"error": error, "error_description": description}))
}

/// An RFC 6749 error: status, `error`, `error_description`.
type OauthError = (u16, &'static str, &'static str);

/// The client credentials of a token request: (method, id, secret).
fn client_auth(req: &HttpRequest, form: &Params) -> Result<(String, String, Option<String>), OauthError> {
    let basic = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, rest) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("basic").then(|| rest.trim().to_string())
    });
    if let Some(encoded) = basic {
        if form.contains_key("client_secret") {
            return Err((400, "invalid_request", "more than one client authentication method"));
        }
        let bad = || (401, "invalid_client", "malformed Basic credentials");
        let raw = STANDARD.decode(encoded).map_err(|_| bad())?;
        let text = String::from_utf8(raw).map_err(|_| bad())?;
        let (id, secret) = text.split_once(':').ok_or_else(bad)?;
        // RFC 6749 §2.3.1: both halves are form-urlencoded before they are joined.
        let (id, secret) = (form_decode(id), form_decode(secret));
        if form.get("client_id").is_some_and(|body_id| *body_id != id) {
            return Err((401, "invalid_client", "client_id differs from the Basic credentials"));
        }
        return Ok(("client_secret_basic".into(), id, Some(secret)));
    }
    match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => Ok(("client_secret_post".into(), id.clone(), Some(secret.clone()))),
        (Some(id), None) => Ok(("none".into(), id.clone(), None)),
        _ => Err((401, "invalid_client", "no client authentication")),
    }
}

/// Undo application/x-www-form-urlencoded on one value.
fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(s.as_bytes()).map(|(k, _)| k.into_owned()).next().unwrap_or_default()
}

fn pkce_matches(grant: &Grant, verifier: Option<&String>) -> bool {
    let Some(challenge) = &grant.code_challenge else { return true };
    let Some(verifier) = verifier else { return false };
    let computed = match grant.code_challenge_method.as_deref().unwrap_or("plain") {
        "S256" => URL_SAFE_NO_PAD.encode(sha256(verifier.as_bytes())),
        "plain" => verifier.clone(),
        _ => return false,
    };
    constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

async fn oidc_token(state: OidcData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let delay = {
        let mut s = lock(&state);
        s.token_requests += 1;
        match s.behavior {
            Behavior::TokenDelay(d) => Some(d),
            _ => None,
        }
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let form_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !form_type.starts_with("application/x-www-form-urlencoded") {
        return oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded");
    }
    let form = parse_params(&body);
    let forger_needed = {
        let s = lock(&state);
        s.behavior == Behavior::ForgedSignature && s.forger.is_none()
    };
    if forger_needed {
        let forger = Arc::new(SigningKey::generate().await);
        lock(&state).forger.get_or_insert(forger);
    }

    let mut s = lock(&state);
    let mut recorded = form.clone();
    recorded.remove("client_secret");
    s.last_token_request = Some(recorded);
    let (method, id, secret) = match client_auth(&req, &form) {
        Ok(auth) => auth,
        Err((status, error, description)) => return oauth_error(status, error, description),
    };
    s.last_token_auth_method = Some(method);
    if let Behavior::TokenError(status) = s.behavior {
        let error = if status < 500 { "invalid_request" } else { "server_error" };
        return oauth_error(status, error, "the fake provider was told to fail");
    }
    let secret_ok = secret.is_some_and(|x| constant_time_eq(x.as_bytes(), s.client_secret.as_bytes()));
    if id != s.client_id || !secret_ok {
        return oauth_error(401, "invalid_client", "The OAuth client was not found or its secret is wrong.");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(400, "unsupported_grant_type", "only authorization_code");
    }
    let Some(grant) = form.get("code").and_then(|c| s.codes.remove(c)) else {
        return oauth_error(400, "invalid_grant", "Malformed auth code, or already redeemed.");
    };
    if grant.client_id != id {
        return oauth_error(400, "invalid_grant", "the code was issued to another client");
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return oauth_error(400, "invalid_grant", "redirect_uri_mismatch");
    }
    if !pkce_matches(&grant, form.get("code_verifier")) {
        return oauth_error(400, "invalid_grant", "code_verifier does not match the code_challenge");
    }

    let access_token = random_token();
    s.access_tokens.insert(access_token.clone());
    let mut out =
        json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "scope": grant.scope});
    let wants_id_token = grant.scope.split(' ').any(|x| x == "openid");
    if wants_id_token && s.behavior != Behavior::NoIdToken {
        out["id_token"] = Value::String(id_token(&s, &grant, &access_token));
    }
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(out)
}

fn id_token(s: &OidcState, grant: &Grant, access_token: &str) -> String {
    let t = now();
    let mut claims = s.user.as_object().cloned().unwrap_or_default();
    let half = &sha256(access_token.as_bytes())[..16];
    let standard = json!({
        "iss": s.issuer, "aud": grant.client_id, "azp": grant.client_id, "iat": t, "exp": t + 3600,
        "auth_time": grant.auth_time, "at_hash": URL_SAFE_NO_PAD.encode(half),
    });
    for (k, v) in standard.as_object().into_iter().flatten() {
        claims.insert(k.clone(), v.clone());
    }
    if let Some(nonce) = &grant.nonce {
        claims.insert("nonce".into(), Value::String(nonce.clone()));
    }
    match s.behavior {
        Behavior::Expired => {
            claims.insert("iat".into(), json!(t - 7200));
            claims.insert("exp".into(), json!(t - 3600));
            claims.insert("auth_time".into(), json!(t - 7200));
        }
        Behavior::WrongAudience => {
            claims.insert("aud".into(), json!("someone-else.apps.example"));
            claims.insert("azp".into(), json!("someone-else.apps.example"));
        }
        Behavior::WrongIssuer => {
            claims.insert("iss".into(), json!("https://issuer.invalid"));
        }
        Behavior::WrongNonce => {
            claims.insert("nonce".into(), json!("not-the-nonce-you-sent"));
        }
        _ => {}
    }
    let claims = Value::Object(claims);
    match (&s.behavior, &s.forger) {
        (Behavior::ForgedSignature, Some(forger)) => forger.sign_jwt(&s.key.kid, &claims),
        _ => s.key.sign_jwt(&s.key.kid, &claims),
    }
}

async fn oidc_userinfo(state: OidcData, req: HttpRequest) -> HttpResponse {
    let mut s = lock(&state);
    s.userinfo_requests += 1;
    match bearer(&req) {
        Some(token) if s.access_tokens.contains(&token) => HttpResponse::Ok().json(s.user.clone()),
        _ => HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
            .json(json!({"error": "invalid_token"})),
    }
}

async fn oidc_jwks(state: OidcData) -> HttpResponse {
    let mut s = lock(&state);
    s.jwks_fetches += 1;
    HttpResponse::Ok().json(json!({"keys": [s.key.jwk.clone()]}))
}
