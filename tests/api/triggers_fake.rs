//! A local fake of the AWS Lambda Invoke API for the trigger tests: `POST
//! /2015-03-31/functions/{name}/invocations` on `127.0.0.1:0`. It checks each call's SigV4
//! `Authorization` with its key (a wrong signature is answered 403, as Lambda does), records
//! the invocation, and answers per function name from a script. Also a Standard Webhooks
//! endpoint (`POST /hook/{name}`) that checks the webhook signature with its secret.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use portcullis::api::sigv4;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub const LAMBDA_KEY_ID: &str = "AKIALAMBDAKEY0000001";
pub const LAMBDA_SECRET: &str = "lambda/secret+key000000000000000000000000";
/// The webhook secret (`whsec_` + base64 of the HMAC key).
pub const WEBHOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// How a function answers.
#[derive(Clone, Debug)]
pub enum Script {
    /// The event back with this `response`.
    Respond(Value),
    /// A function error with this `errorMessage`.
    Fail(&'static str),
    /// Answer after this many seconds (the event back, response empty).
    Slow(u64),
    /// Not JSON.
    Garbage,
    /// This HTTP status, no body.
    Status(u16),
    /// The event back with the `response` this computes from the event.
    Handle(Handler),
}

/// A function's logic: the `response` for an event.
#[derive(Clone)]
pub struct Handler(Arc<dyn Fn(&Value) -> Value + Send + Sync>);

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler")
    }
}

/// A script that answers each event with `respond(event)` as its `response`.
pub fn handler(respond: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Script {
    Script::Handle(Handler(Arc::new(respond)))
}

/// One recorded call.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub function: String,
    pub qualifier: Option<String>,
    pub event: Value,
}

#[derive(Default)]
struct State {
    scripts: BTreeMap<String, Script>,
    calls: Vec<Invocation>,
    refused: usize,
}

#[derive(Clone)]
pub struct FakeLambda {
    pub url: String,
    state: Arc<Mutex<State>>,
}

fn lock(s: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeLambda {
    pub fn start() -> FakeLambda {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/2015-03-31/functions/{name}/invocations", web::post().to(invoke))
                .route("/hook/{name}", web::post().to(hook))
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        FakeLambda { url: format!("http://127.0.0.1:{port}"), state }
    }

    pub fn script(&self, function: &str, s: Script) {
        lock(&self.state).scripts.insert(function.into(), s);
    }

    pub fn calls(&self) -> Vec<Invocation> {
        lock(&self.state).calls.clone()
    }

    /// The events sent to `function`.
    pub fn events_of(&self, function: &str) -> Vec<Value> {
        self.calls().into_iter().filter(|c| c.function == function).map(|c| c.event).collect()
    }

    /// Calls refused for a bad signature.
    pub fn refused(&self) -> usize {
        lock(&self.state).refused
    }
}

/// The ARN of function `name` in the test account.
pub fn arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{name}")
}

/// Point an app's config at `fake` with the right key.
pub fn configure(c: &mut portcullis::config::Config, fake: &FakeLambda) {
    c.triggers.lambda_endpoint = Some(fake.url.clone());
    c.triggers.lambda_access_key_id = Some(LAMBDA_KEY_ID.into());
    c.triggers.lambda_secret_access_key = Some(portcullis::config::Secret::new(LAMBDA_SECRET));
}

fn signature_ok(req: &HttpRequest, body: &[u8]) -> bool {
    let Some(auth) = req.headers().get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(auth) = sigv4::parse_authorization(auth) else {
        return false;
    };
    if auth.access_key_id != LAMBDA_KEY_ID || auth.service != "lambda" || auth.region != "us-east-1" {
        return false;
    }
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string())))
        .collect();
    let uri = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let r = sigv4::Request { method: "POST", uri: &uri, headers, body };
    sigv4::verify(&r, &auth, LAMBDA_SECRET, None, sigv4::system_now()).is_ok()
}

async fn answer(state: &Mutex<State>, function: String, qualifier: Option<String>, body: &[u8]) -> HttpResponse {
    let event: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let script = {
        let mut s = lock(state);
        s.calls.push(Invocation { function: function.clone(), qualifier, event: event.clone() });
        s.scripts.get(&function).cloned().unwrap_or(Script::Respond(json!({})))
    };
    let mut back = event;
    match script {
        Script::Respond(r) => {
            back["response"] = r;
            HttpResponse::Ok().json(back)
        }
        Script::Handle(Handler(respond)) => {
            back["response"] = respond(&back);
            HttpResponse::Ok().json(back)
        }
        Script::Fail(m) => HttpResponse::Ok()
            .insert_header(("X-Amz-Function-Error", "Unhandled"))
            .json(json!({"errorMessage": m, "errorType": "Error"})),
        Script::Slow(secs) => {
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            HttpResponse::Ok().json(back)
        }
        Script::Garbage => HttpResponse::Ok().body("this is not json"),
        Script::Status(code) => HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).finish(),
    }
}

async fn invoke(
    state: web::Data<Mutex<State>>,
    req: HttpRequest,
    name: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if !signature_ok(&req, &body) {
        lock(&state).refused += 1;
        return HttpResponse::Forbidden()
            .json(json!({"message": "The request signature we calculated does not match"}));
    }
    let qualifier = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "Qualifier")
        .map(|(_, v)| v.into_owned());
    answer(&state, name.into_inner(), qualifier, &body).await
}

/// The Standard Webhooks check: HMAC-SHA256 of "{id}.{timestamp}.{body}" with the secret's key.
async fn hook(
    state: web::Data<Mutex<State>>,
    req: HttpRequest,
    name: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let h = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (id, ts, sig) = (h("webhook-id"), h("webhook-timestamp"), h("webhook-signature"));
    let key = base64::engine::general_purpose::STANDARD.decode(&WEBHOOK_SECRET["whsec_".len()..]).unwrap();
    let mut content = format!("{id}.{ts}.").into_bytes();
    content.extend_from_slice(&body);
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(&content);
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    let fresh = ts.parse::<i64>().is_ok_and(|t| (t - sigv4::system_now()).abs() < 300);
    if id.is_empty() || !fresh || !sig.split(' ').any(|s| s == expected) {
        lock(&state).refused += 1;
        return HttpResponse::Unauthorized().finish();
    }
    answer(&state, name.into_inner(), None, &body).await
}

/// A pool with these `LambdaConfig` triggers (member → function name, `name:qualifier` for a
/// qualified ARN), e-mail verified by code, and a public client (`client_extra` merged in).
pub async fn trigger_pool(
    app: &crate::helpers::TestApp,
    triggers: &[(&str, &str)],
    client_extra: Value,
) -> crate::helpers::Flow {
    let lambda: serde_json::Map<String, Value> = triggers.iter().map(|(k, f)| (k.to_string(), json!(arn(f)))).collect();
    let pool = app.create_pool(json!({"LambdaConfig": lambda, "AutoVerifiedAttributes": ["email"]})).await;
    let (client_id, secret) = app.create_client(&pool, false, client_extra).await;
    let (verifier, challenge) = crate::helpers::pkce();
    crate::helpers::Flow { pool, client_id, secret, verifier, challenge }
}

/// An app whose Lambda endpoint is `fake` and whose mail goes to a new SMTP sink.
pub async fn trigger_app(fake: &FakeLambda) -> (crate::helpers::TestApp, crate::smtp::SmtpSink) {
    let sink = crate::smtp::SmtpSink::start().await;
    let url = sink.url();
    let app = crate::helpers::TestApp::spawn_with(|c| {
        configure(c, fake);
        c.smtp_url = Some(portcullis::config::Secret::new(url));
    })
    .await;
    (app, sink)
}

/// Sign `username` up with `email` through the hosted sign-up page of `f`'s client: the answer
/// to the form.
pub async fn hosted_sign_up(
    app: &crate::helpers::TestApp,
    f: &crate::helpers::Flow,
    browser: &reqwest::Client,
    username: &str,
    email: &str,
) -> reqwest::Response {
    use crate::helpers::{PASSWORD, form_action, hidden, link, location};
    let r = browser.get(f.authorize_url(app, "")).send().await.unwrap();
    let login = browser.get(location(&r)).send().await.unwrap().text().await.unwrap();
    let signup = browser.get(link(&login, "signup-link")).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&signup, "_csrf");
    let form =
        [("_csrf", csrf.as_str()), ("username", username), ("password", PASSWORD), ("userAttributes.email", email)];
    browser.post(form_action(&signup)).form(&form).send().await.unwrap()
}
