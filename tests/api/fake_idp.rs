//! Local fake upstream identity providers for the federation tests: [`FakeOidc`], a real OpenID
//! Connect provider (the fake Google, and any OIDC provider), and [`FakeFacebook`], an OAuth 2.0
//! provider shaped like Facebook's dialog, Graph token endpoint and `/me`. Each is a real HTTP
//! server on `127.0.0.1:0`; its state sits behind a mutex, so a test can change the user or make
//! the provider misbehave between requests, and can read back what the relying party sent.
//!
//! Also included by the browser tests (`#[path = "../api/fake_idp.rs"]`), so it depends only on
//! crates every test target has.

#![allow(dead_code)]

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portcullis::crypto::{constant_time_eq, hmac_sha256, random_token, sha256};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Query or form parameters as a map (the last value of a repeated name wins).
pub type Params = BTreeMap<String, String>;

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

/// How [`FakeFacebook`] misbehaves.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum FacebookBehavior {
    #[default]
    Normal,
    /// The user refuses the permissions dialog.
    Deny,
    /// `/oauth/access_token` answers this status with a Graph error body.
    TokenError(u16),
    /// `/me` and `/app` answer this status with a Graph error body.
    MeError(u16),
}

/// What `/me` saw of `appsecret_proof`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    Missing,
    Correct,
    Wrong,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_params(raw: &[u8]) -> Params {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// Serve `routes` over `state` on a fresh loopback port; returns the base URL.
fn serve<S: Send + 'static>(state: Arc<Mutex<S>>, routes: fn(&mut web::ServiceConfig)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake provider");
    let port = listener.local_addr().expect("fake provider address").port();
    let data = web::Data::from(state);
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// `{redirect_uri}` with `pairs` added to its query, as a 302.
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return bad_page("redirect_uri is not a URL");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    HttpResponse::Found().insert_header((header::LOCATION, url.to_string())).finish()
}

/// The error page a provider shows instead of redirecting to an untrusted place.
fn bad_page(message: &'static str) -> HttpResponse {
    HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body(message)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
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

// ---------------------------------------------------------------------------------------------
// OpenID Connect provider
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Facebook
// ---------------------------------------------------------------------------------------------

struct FacebookState {
    client_id: String,
    client_secret: String,
    user: Value,
    behavior: FacebookBehavior,
    require_proof: bool,
    /// code → redirect_uri given to the dialog.
    codes: HashMap<String, String>,
    access_tokens: HashSet<String>,
    last_authorize: Option<Params>,
    last_token_request: Option<Params>,
    last_token_http_method: Option<String>,
    last_me_fields: Option<Vec<String>>,
    last_proof: Option<Proof>,
    token_requests: usize,
    me_requests: usize,
    app_requests: usize,
}

/// A fake Facebook on loopback: `/dialog/oauth` (auto-consent), `/oauth/access_token`, `/me`,
/// and `/app` (the app an access token was issued to).
#[derive(Clone)]
pub struct FakeFacebook {
    base: String,
    state: Arc<Mutex<FacebookState>>,
}

impl FakeFacebook {
    pub async fn start() -> FakeFacebook {
        let state = Arc::new(Mutex::new(FacebookState {
            client_id: "1234567890123456".into(),
            client_secret: "fake-facebook-app-secret".into(),
            user: json!({"id": "10158000000000001", "email": "joe@example.com", "name": "Joe Bloggs",
                         "first_name": "Joe", "last_name": "Bloggs"}),
            behavior: FacebookBehavior::Normal,
            require_proof: false,
            codes: HashMap::new(),
            access_tokens: HashSet::new(),
            last_authorize: None,
            last_token_request: None,
            last_token_http_method: None,
            last_me_fields: None,
            last_proof: None,
            token_requests: 0,
            me_requests: 0,
            app_requests: 0,
        }));
        let base = serve(state.clone(), facebook_routes);
        FakeFacebook { base, state }
    }

    pub fn base(&self) -> String {
        self.base.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn client_id(&self) -> String {
        lock(&self.state).client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        lock(&self.state).client_secret.clone()
    }

    pub fn set_client(&self, id: &str, secret: &str) {
        let mut s = lock(&self.state);
        s.client_id = id.into();
        s.client_secret = secret.into();
    }

    /// The Graph user (must include `id`); `/me` returns the requested fields of it.
    pub fn set_user(&self, user: Value) {
        lock(&self.state).user = user;
    }

    pub fn set_behavior(&self, behavior: FacebookBehavior) {
        lock(&self.state).behavior = behavior;
    }

    /// Refuse `/me` calls without a correct `appsecret_proof` ("Require App Secret").
    pub fn require_proof(&self, required: bool) {
        lock(&self.state).require_proof = required;
    }

    pub fn last_authorize(&self) -> Option<Params> {
        lock(&self.state).last_authorize.clone()
    }

    /// Query and form of the last token request together, `client_secret` left out.
    pub fn last_token_request(&self) -> Option<Params> {
        lock(&self.state).last_token_request.clone()
    }

    /// `GET` or `POST`.
    pub fn last_token_http_method(&self) -> Option<String> {
        lock(&self.state).last_token_http_method.clone()
    }

    /// The `fields` the last `/me` call asked for.
    pub fn last_me_fields(&self) -> Option<Vec<String>> {
        lock(&self.state).last_me_fields.clone()
    }

    /// What the last `/me` call sent as `appsecret_proof`.
    pub fn last_proof(&self) -> Option<Proof> {
        lock(&self.state).last_proof
    }

    pub fn token_requests(&self) -> usize {
        lock(&self.state).token_requests
    }

    pub fn me_requests(&self) -> usize {
        lock(&self.state).me_requests
    }

    pub fn app_requests(&self) -> usize {
        lock(&self.state).app_requests
    }

    /// Walk the dialog and the token endpoint as a client app would: a user access token.
    pub async fn user_access_token(&self) -> String {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let redirect_uri = "https://app.example/fb";
        let r = http
            .get(self.url("/dialog/oauth"))
            .query(&[("client_id", self.client_id().as_str()), ("redirect_uri", redirect_uri), ("state", "s")])
            .send()
            .await
            .expect("dialog");
        let back = r.headers().get("location").and_then(|v| v.to_str().ok()).expect("dialog redirect").to_string();
        let code = url::Url::parse(&back)
            .expect("redirect URL")
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code");
        let t: Value = http
            .get(self.url("/oauth/access_token"))
            .query(&[
                ("client_id", self.client_id().as_str()),
                ("client_secret", self.client_secret().as_str()),
                ("redirect_uri", redirect_uri),
                ("code", code.as_str()),
            ])
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token JSON");
        t["access_token"].as_str().expect("access_token").to_string()
    }
}

fn facebook_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dialog/oauth", web::get().to(facebook_dialog))
        .route("/oauth/access_token", web::get().to(facebook_token))
        .route("/oauth/access_token", web::post().to(facebook_token))
        .route("/me", web::get().to(facebook_me))
        .route("/me", web::post().to(facebook_me))
        .route("/app", web::get().to(facebook_app));
}

type FacebookData = web::Data<Mutex<FacebookState>>;

fn graph_error(status: u16, message: &str, kind: &str, code: u16) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(json!({"error": {"message": message, "type": kind, "code": code,
                                                     "fbtrace_id": "AbCdEfGhIjK"}}))
}

async fn facebook_dialog(state: FacebookData, req: HttpRequest) -> HttpResponse {
    let q = parse_params(req.query_string().as_bytes());
    let mut s = lock(&state);
    s.last_authorize = Some(q.clone());
    if q.get("client_id") != Some(&s.client_id) {
        return bad_page("Invalid App ID: the provided app ID does not look like a valid app ID.");
    }
    let Some(redirect_uri) = q.get("redirect_uri") else {
        return bad_page("URL blocked: redirect_uri is missing.");
    };
    let st = q.get("state").cloned().unwrap_or_default();
    if s.behavior == FacebookBehavior::Deny {
        return redirect_with(
            redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_code", "200"),
                ("error_description", "Permissions error"),
                ("error_reason", "user_denied"),
                ("state", &st),
            ],
        );
    }
    let code = random_token();
    s.codes.insert(code.clone(), redirect_uri.clone());
    redirect_with(redirect_uri, &[("code", &code), ("state", &st)])
}

async fn facebook_token(state: FacebookData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut params = parse_params(req.query_string().as_bytes());
    params.extend(parse_params(&body));
    let mut s = lock(&state);
    s.token_requests += 1;
    let mut recorded = params.clone();
    recorded.remove("client_secret");
    s.last_token_request = Some(recorded);
    s.last_token_http_method = Some(req.method().to_string());
    if let FacebookBehavior::TokenError(status) = s.behavior {
        return graph_error(
            status,
            "An unexpected error has occurred. Please retry your request later.",
            "OAuthException",
            2,
        );
    }
    if params.get("client_id") != Some(&s.client_id) {
        return graph_error(400, "Error validating application. Invalid application ID.", "OAuthException", 101);
    }
    if !params.get("client_secret").is_some_and(|x| constant_time_eq(x.as_bytes(), s.client_secret.as_bytes())) {
        return graph_error(400, "Error validating client secret.", "OAuthException", 1);
    }
    let Some(redirect_uri) = params.get("code").and_then(|c| s.codes.remove(c)) else {
        return graph_error(400, "Invalid verification code format.", "OAuthException", 100);
    };
    if params.get("redirect_uri") != Some(&redirect_uri) {
        return graph_error(
            400,
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
            "OAuthException",
            100,
        );
    }
    let token = format!("EAAG{}", random_token().replace(['-', '_'], ""));
    s.access_tokens.insert(token.clone());
    HttpResponse::Ok().json(json!({"access_token": token, "token_type": "bearer", "expires_in": 5183944}))
}

/// `/app`: the app the access token was issued to (Graph's `id`, `name`, `link`).
async fn facebook_app(state: FacebookData, req: HttpRequest) -> HttpResponse {
    let params = parse_params(req.query_string().as_bytes());
    let mut s = lock(&state);
    s.app_requests += 1;
    let token = params.get("access_token").cloned().or_else(|| bearer(&req));
    if !token.is_some_and(|t| s.access_tokens.contains(&t)) {
        return graph_error(400, "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190);
    }
    if let FacebookBehavior::MeError(status) = s.behavior {
        return graph_error(status, "An unknown error has occurred.", "OAuthException", 1);
    }
    HttpResponse::Ok()
        .json(json!({"id": s.client_id, "name": "Fake app", "link": "https://www.facebook.com/games/?app_id=1"}))
}

async fn facebook_me(state: FacebookData, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut params = parse_params(req.query_string().as_bytes());
    params.extend(parse_params(&body));
    let mut s = lock(&state);
    s.me_requests += 1;
    let fields: Vec<String> = match params.get("fields") {
        Some(f) => f.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        None => vec!["id".into(), "name".into()],
    };
    s.last_me_fields = Some(fields.clone());
    let token = params.get("access_token").cloned().or_else(|| bearer(&req));
    let proof = match params.get("appsecret_proof") {
        None => Proof::Missing,
        Some(sent) => {
            let expected =
                to_hex(&hmac_sha256(s.client_secret.as_bytes(), token.clone().unwrap_or_default().as_bytes()));
            if constant_time_eq(sent.as_bytes(), expected.as_bytes()) { Proof::Correct } else { Proof::Wrong }
        }
    };
    s.last_proof = Some(proof);
    if !token.is_some_and(|t| s.access_tokens.contains(&t)) {
        return graph_error(400, "Invalid OAuth access token - Cannot parse access token", "OAuthException", 190);
    }
    if proof == Proof::Wrong || (s.require_proof && proof != Proof::Correct) {
        return graph_error(400, "Invalid appsecret_proof provided in the API argument", "GraphMethodException", 100);
    }
    if let FacebookBehavior::MeError(status) = s.behavior {
        return graph_error(status, "An unknown error has occurred.", "OAuthException", 1);
    }
    let mut out = serde_json::Map::new();
    out.insert("id".into(), s.user["id"].clone());
    for f in &fields {
        if let Some(v) = s.user.get(f) {
            out.insert(f.clone(), v.clone());
        }
    }
    HttpResponse::Ok().json(Value::Object(out))
}
