//! The malformed-input sweep (issue 10, "Done when"): every route the server registers, GET and
//! POST, with wrong content types, invalid UTF-8, NUL bytes (`%00` in queries and forms,
//! `\u0000` in JSON), deep JSON, an oversized body, header and URI, garbage Authorization
//! headers and NUL-bearing cookies. No answer may be a 5xx and no connection may drop (a
//! panicking handler drops it, or — behind the backstop — answers 500); the server must still
//! answer afterwards. Runs on SQLite and on PostgreSQL (`PORTCULLIS_TEST_DB=postgres`).

use crate::helpers::*;
use portcullis::clock::Clock;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;

/// Every route, as registered by `startup::routes` and each surface's `configure`
/// (`{pool}` is replaced by a real pool id; the same paths at the root serve pool domains).
const POOL_ROUTES: &[&str] = &[
    "/{pool}/oauth2/authorize",
    "/{pool}/logout",
    "/{pool}/oauth2/token",
    "/{pool}/oauth2/userInfo",
    "/{pool}/oauth2/revoke",
    "/{pool}/.well-known/openid-configuration",
    "/{pool}/.well-known/jwks.json",
    "/{pool}/login",
    "/{pool}/oauth2/idpresponse",
    "/{pool}/newPassword",
    "/{pool}/mfa",
    "/{pool}/mfa/select",
    "/{pool}/mfa/setup",
    "/{pool}/mfa/setup/done",
    "/{pool}/signup",
    "/{pool}/confirm",
    "/{pool}/resendcode",
    "/{pool}/forgotPassword",
    "/{pool}/confirmForgotPassword",
    "/{pool}/ui/css/ALL.css",
    "/{pool}/ui/logo/ALL.png",
];

const OTHER_ROUTES: &[&str] = &[
    "/",
    "/health/live",
    "/health/ready",
    "/metrics",
    "/static/portcullis.css",
    "/admin",
    "/admin/callback",
    "/admin/sign-out",
    "/admin/signed-out",
    "/admin/static/admin.css",
    "/admin/pools",
    "/admin/pools/local_nosuchpool1",
    "/admin/pools/local_nosuchpool1/users",
    "/admin/pools/local_nosuchpool1/users/bob",
    "/admin/pools/local_nosuchpool1/users/bob/disable",
    "/admin/pools/local_nosuchpool1/clients/nosuchclient0000000000000a/preview/login",
    "/identity/.well-known/openid-configuration",
    "/identity/.well-known/jwks.json",
    "/no/such/route",
    "/local_nosuchpool1/login",
    "/%00/login",
];

/// One malformed request: a name for the failure message and how to build it.
struct Case {
    name: &'static str,
    query: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    body: Option<Vec<u8>>,
}

fn case(name: &'static str) -> Case {
    Case { name, query: String::new(), headers: Vec::new(), body: None }
}

impl Case {
    fn query(mut self, q: impl Into<String>) -> Self {
        self.query = q.into();
        self
    }
    fn header(mut self, k: &'static str, v: impl Into<Vec<u8>>) -> Self {
        self.headers.push((k, v.into()));
        self
    }
    fn body(mut self, b: impl Into<Vec<u8>>) -> Self {
        self.body = Some(b.into());
        self
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
const AMZ_JSON: &str = "application/x-amz-json-1.1";

/// What a browser that loaded the sign-in page holds, so forms get past the CSRF check.
struct Browser {
    client_id: String,
    csrf_cookie: String,
    csrf_field: String,
}

fn cases(app: &TestApp, authorize_query: &str, b: &Browser) -> Vec<Case> {
    let now = chrono::DateTime::from_timestamp(app.clock.now(), 0).expect("time");
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let sigv4 = |signed: &str, region: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{}/{region}/cognito-idp/aws4_request, SignedHeaders={signed}, Signature={}",
            now.format("%Y%m%d"),
            "0".repeat(64)
        )
        .into_bytes()
    };
    let nul_form = b"username=a%00b&password=%00&client_id=%00&code=%00&token=%00&refresh_token=%00&grant_type=%00\
                     &redirect_uri=%00&_csrf=%00&session=%00&state=%00&Action=%00&Version=%00"
        .to_vec();
    let csrf_cookie = format!("portcullis_csrf={}", b.csrf_cookie);
    let csrf_form = |rest: &str| format!("_csrf={}&client_id={}&{rest}", b.csrf_field, b.client_id).into_bytes();
    vec![
        case("csrf form with nul username")
            .query(authorize_query)
            .header("cookie", csrf_cookie.clone())
            .header("content-type", FORM)
            .body(csrf_form("username=al%00ice&password=p%00&code=1&email=a%00%40example.com")),
        case("csrf form with control characters")
            .query(authorize_query)
            .header("cookie", csrf_cookie)
            .header("content-type", FORM)
            .body(csrf_form("username=%01%02%1F&password=x&session=%00&code=%00%00%00%00%00%00")),
        case("nul username in json with a real client")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
            .body(
                json!({"ClientId": b.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "al\u{0}ice", "PASSWORD": "x"}})
                    .to_string(),
            ),
        case("nul in forgot password json")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.ForgotPassword")
            .body(json!({"ClientId": b.client_id, "Username": "al\u{0}ice"}).to_string()),
        case("plain"),
        case("valid authorize query"),
        case("nul in query").query(format!("{authorize_query}&username=%00&state=%00&v=%00&lang=%00")),
        case("nul client_id in query").query("client_id=%00&response_type=code&redirect_uri=%00&logout_uri=%00"),
        case("invalid utf-8 in query").query("client_id=%FF%FE&state=%C3%28"),
        case("form with nul").header("content-type", FORM).body(nul_form.clone()),
        case("form with nul and authorize query").query(authorize_query).header("content-type", FORM).body(nul_form),
        case("form with invalid utf-8").header("content-type", FORM).body(b"username=%FF%FE&password=\xff\xfe".to_vec()),
        case("json to a form endpoint").header("content-type", "application/json").body(b"{\"username\":\"a\"}".to_vec()),
        case("text/plain").header("content-type", "text/plain").body(b"hello\x00world".to_vec()),
        case("bad content-type").header("content-type", "\x01;;=").body(b"x".to_vec()),
        case("invalid utf-8 json")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
            .body(b"{\"ClientId\":\"\xff\xfe\"}".to_vec()),
        case("nul in json")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
            .body(
                json!({"ClientId": "\u{0}", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "\u{0}", "PASSWORD": "\u{0}"}, "ClientMetadata": {"\u{0}": "\u{0}"}})
                    .to_string(),
            ),
        case("nul in identity json")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityService.GetId")
            .body(json!({"IdentityPoolId": "\u{0}", "Logins": {"\u{0}": "\u{0}"}}).to_string()),
        case("deep json")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
            .body("[".repeat(10_000)),
        case("deep json object")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
            .body(format!("{{\"ClientId\":{}", "{\"a\":".repeat(5_000))),
        case("unknown target").header("content-type", AMZ_JSON).header("x-amz-target", "\u{1}x").body(b"{}".to_vec()),
        case("2 MB body").header("content-type", FORM).body(vec![b'a'; 2 * 1024 * 1024]),
        case("2 MB json")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp")
            .body(vec![b' '; 2 * 1024 * 1024]),
        case("32 KB cookie").header("cookie", format!("portcullis_session={}", "a".repeat(32 * 1024))),
        case("nul cookies").header(
            "cookie",
            "portcullis_session=%00; portcullis_csrf=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00; portcullis_confirm=%00; portcullis_fed=%00",
        ),
        case("20 KB query").query(format!("{authorize_query}&x={}", "a".repeat(20 * 1024))),
        case("basic with invalid base64").header("authorization", "Basic !!!not-base64***").header("content-type", FORM).body(b"grant_type=client_credentials".to_vec()),
        case("basic with nul credentials")
            .header("authorization", "Basic JTAwOiUwMA==")
            .header("content-type", FORM)
            .body(b"grant_type=client_credentials&token=t".to_vec()),
        case("basic with invalid utf-8")
            .header("authorization", "Basic //79Oi8+")
            .header("content-type", FORM)
            .body(b"grant_type=client_credentials&token=t".to_vec()),
        case("bearer garbage").header("authorization", "Bearer a.b.c\u{7f}"),
        case("bearer multibyte").header("authorization", "Bearer é.é.é".as_bytes().to_vec()),
        case("sigv4 without host")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
            .header("x-amz-date", amz_date.clone())
            .header("authorization", sigv4("content-type;x-amz-date;x-amz-target", "eu-west-3"))
            .body(b"{\"MaxResults\":1}".to_vec()),
        case("sigv4 with multibyte characters")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
            .header("x-amz-date", "2015083é123600Z".as_bytes().to_vec())
            .header("authorization", sigv4("host;x-amz-date;é", "eu-wést-3"))
            .body(b"{\"MaxResults\":1}".to_vec()),
        case("sigv4 query without host")
            .header("content-type", FORM)
            .header("x-amz-date", amz_date)
            .header("authorization", sigv4("content-type;x-amz-date", "us-east-1"))
            .body(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec()),
        case("sigv4 garbage")
            .header("content-type", AMZ_JSON)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;;, Signature=")
            .body(b"{}".to_vec()),
        case("query protocol with nul").header("content-type", FORM).body(b"Action=GetRole&Version=2010-05-08&RoleName=%00".to_vec()),
    ]
}

#[tokio::test]
async fn no_route_answers_malformed_input_with_a_server_error() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let authorize = f.authorize_url(&app, "");
    let authorize_query = authorize.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
    let mut paths: Vec<String> = POOL_ROUTES.iter().map(|r| r.replace("{pool}", &f.pool)).collect();
    paths.extend(POOL_ROUTES.iter().map(|r| r.replace("/{pool}", "")));
    paths.extend(OTHER_ROUTES.iter().map(|r| r.to_string()));
    let login = format!("{}/{}/login?{authorize_query}", app.base, f.pool);
    let page = app.http.get(&login).send().await.expect("login page");
    let csrf_cookie =
        page.cookies().find(|c| c.name() == "portcullis_csrf").map(|c| c.value().to_string()).expect("a CSRF cookie");
    let csrf_field = hidden(&page.text().await.expect("html"), "_csrf");
    let browser = Browser { client_id: f.client_id.clone(), csrf_cookie, csrf_field };
    let cases = cases(&app, &authorize_query, &browser);
    // One client per run; no redirects followed, short timeouts so a hang shows as a failure.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("client");
    let mut failures = Vec::new();
    let mut sent = 0;
    for path in &paths {
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            for c in &cases {
                // Bodies go with POST (a GET with a body reads the same to every handler).
                if method == reqwest::Method::GET && c.body.is_some() {
                    continue;
                }
                let authorize_query = if c.name == "valid authorize query" { authorize_query.as_str() } else { "" };
                let q = if c.query.is_empty() { authorize_query } else { c.query.as_str() };
                let url = if q.is_empty() { format!("{}{path}", app.base) } else { format!("{}{path}?{q}", app.base) };
                let mut headers = HeaderMap::new();
                for (k, v) in &c.headers {
                    let (Ok(name), Ok(value)) = (HeaderName::try_from(*k), HeaderValue::from_bytes(v)) else {
                        continue;
                    };
                    headers.insert(name, value);
                }
                let mut req = http.request(method.clone(), &url).headers(headers);
                if let Some(b) = &c.body {
                    req = req.body(b.clone());
                }
                sent += 1;
                match req.send().await {
                    Ok(r) if r.status().is_server_error() => {
                        let status = r.status();
                        let text: String = r.text().await.unwrap_or_default().chars().take(200).collect();
                        failures.push(format!("{method} {path} [{}]: {status} {text}", c.name));
                    }
                    Ok(_) => {}
                    Err(e) => failures.push(format!("{method} {path} [{}]: connection error {e}", c.name)),
                }
            }
        }
    }
    // A 20 KB path.
    let long_path = format!("{}/{}/login", app.base, "a".repeat(20 * 1024));
    match http.get(&long_path).send().await {
        Ok(r) if r.status().is_server_error() => failures.push(format!("GET 20 KB path: {}", r.status())),
        Ok(_) => {}
        Err(e) => failures.push(format!("GET 20 KB path: connection error {e}")),
    }
    // What no HTTP client library sends: raw NUL, raw invalid UTF-8 and raw controls in the
    // request line and headers. The parser answers 400 (or closes); never a 5xx.
    let pool = f.pool.clone();
    let port = app.port;
    let raw: Vec<(String, Vec<u8>)> = [
        ("raw nul in path", format!("GET /{pool}/login\0x HTTP/1.1\r\n").into_bytes()),
        ("raw nul in query", format!("GET /{pool}/login?client_id=\0 HTTP/1.1\r\n").into_bytes()),
        ("raw invalid utf-8 in path", [format!("GET /{pool}/").as_bytes(), b"\xff\xfe/login HTTP/1.1\r\n"].concat()),
        (
            "raw invalid utf-8 in query",
            [format!("GET /{pool}/login?client_id=").as_bytes(), b"\xff HTTP/1.1\r\n"].concat(),
        ),
        ("raw nul in a header", b"GET /health/live HTTP/1.1\r\nX-Test: a\0b\r\n".to_vec()),
        (
            "raw nul in the cookie",
            format!("GET /{pool}/login HTTP/1.1\r\nCookie: portcullis_session=\0\r\n").into_bytes(),
        ),
        ("raw obs-text host", b"GET /login HTTP/1.1\r\nHost: \xc3\xa9vil\r\n".to_vec()),
    ]
    .into_iter()
    .map(|(name, line)| (name.to_string(), line))
    .collect();
    let answers = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        raw.into_iter()
            .map(|(name, mut request)| {
                request.extend_from_slice(format!("Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n").as_bytes());
                let answer = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
                    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
                    s.write_all(&request)?;
                    let mut out = Vec::new();
                    let _ = s.read_to_end(&mut out);
                    Ok(out)
                });
                (name, answer)
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("raw requests");
    for (name, answer) in answers {
        match answer {
            Ok(bytes) => {
                let head = String::from_utf8_lossy(&bytes).lines().next().unwrap_or_default().to_string();
                if head.starts_with("HTTP/1.1 5") {
                    failures.push(format!("{name}: {head}"));
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    let r = http.get(format!("{}/health/live", app.base)).send().await.expect("the server still answers");
    assert_eq!(r.status(), 200);
    assert!(sent > 1000, "the sweep sent {sent} requests");
    assert!(failures.is_empty(), "{} of {sent} requests failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn actions_not_served_answer_unsupported_operation_never_a_500() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    for (action, body) in [
        ("GetLogDeliveryConfiguration", json!({"UserPoolId": pool})),
        ("DescribeRiskConfiguration", json!({"UserPoolId": pool})),
        ("ListUserPoolReplicas", json!({"UserPoolId": pool})),
    ] {
        let (status, e) = app.api(action, body).await;
        assert_eq!((status, err_type(&e)), (400, "UnsupportedOperationException"), "{action}: {e}");
    }
    // Passkeys are served: a token that is none is refused as such.
    let (status, e) = app.public_api("ListWebAuthnCredentials", json!({"AccessToken": "abc"})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
}
