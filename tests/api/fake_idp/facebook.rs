//! The fake Facebook: the OAuth dialog with auto-consent, the Graph token endpoint, `/me` with
//! `fields` and `appsecret_proof`, `/app`, and the misbehaviours of [`FacebookBehavior`].

use super::{Params, bad_page, bearer, lock, parse_params, redirect_with, serve, to_hex};
use actix_web::{HttpRequest, HttpResponse, web};
use portcullis::crypto::{constant_time_eq, hmac_sha256, random_token};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

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
