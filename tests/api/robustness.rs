//! Regression tests for input that used to break the server (issue 10, findings 2 and 7): a
//! SigV4 signature that does not cover `host` (the signer panicked and the connection dropped),
//! and U+0000 in input (PostgreSQL cannot store it: HTTP 500) on every surface — the JSON API,
//! the Query API, the OAuth endpoints and the hosted pages, each answering with its own 4xx.

use crate::helpers::*;
use portcullis::clock::Clock;
use serde_json::{Value, json};

/// `Authorization` for a SigV4 signature over `signed` headers only: the signature itself is
/// never reached, so any hex does.
fn authorization(app: &TestApp, service: &str, signed: &str) -> (String, String) {
    let now = chrono::DateTime::from_timestamp(app.clock.now(), 0).expect("time");
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{}/eu-west-3/{service}/aws4_request, SignedHeaders={signed}, Signature={}",
        now.format("%Y%m%d"),
        "0".repeat(64)
    );
    (auth, amz_date)
}

async fn still_serving(app: &TestApp) {
    let r = app.http.get(format!("{}/health/live", app.base)).send().await.expect("the server still answers");
    assert_eq!(r.status(), 200);
}

/// A valid key and a signature whose SignedHeaders omit `host`: AWS's IncompleteSignature, on
/// the JSON protocol and on the Query protocol — not a dropped connection.
#[tokio::test]
async fn signatures_that_do_not_cover_host_are_refused() {
    let app = TestApp::spawn().await;
    let (auth, amz_date) = authorization(&app, "cognito-idp", "content-type;x-amz-date;x-amz-target");
    let r = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.ListUserPools")
        .header("x-amz-date", &amz_date)
        .header("authorization", &auth)
        .body(json!({"MaxResults": 10}).to_string())
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["__type"], "IncompleteSignatureException");
    assert_eq!(body["message"], "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");

    let (auth, amz_date) = authorization(&app, "sts", "content-type;x-amz-date");
    let r = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .header("x-amz-date", &amz_date)
        .header("authorization", &auth)
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .await
        .expect("an answer, not a dropped connection");
    assert_eq!(r.status(), 403);
    let xml = r.text().await.expect("xml");
    assert!(xml.contains("<Code>IncompleteSignature</Code>"), "{xml}");
    assert!(xml.contains("must be a &apos;SignedHeader&apos;") || xml.contains("must be a 'SignedHeader'"), "{xml}");
    still_serving(&app).await;
}

/// U+0000 in the JSON API: in a member with a pattern (Cognito's own words), in a map value
/// (InitiateAuth's USERNAME), for an unsigned and a signed action, and in the Query API.
#[tokio::test]
async fn nul_in_api_input_is_invalid_parameter() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    let (status, v) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "a\u{0}", "PASSWORD": "p"}}),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["__type"], "InvalidParameterException");
    assert!(
        v["message"].as_str().unwrap_or_default().starts_with(
            "1 validation error detected: Value at 'authParameters.USERNAME' failed to satisfy constraint"
        ),
        "{v}"
    );
    let (status, v) =
        app.public_api("SignUp", json!({"ClientId": client, "Username": "\u{0}", "Password": PASSWORD})).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(
        v["message"],
        "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
    );
    let (status, v) = app
        .api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "bob", "UserAttributes": [{"Name": "name", "Value": "B\u{0}b"}]}),
        )
        .await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("InvalidParameterException")), "{v}");
    assert!(v["message"].as_str().unwrap_or_default().contains("'userAttributes.1.member.value'"), "{v}");

    let r = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=s&WebIdentityToken=a%00b")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 400);
    let xml = r.text().await.expect("xml");
    assert!(xml.contains("<Code>ValidationError</Code>") && xml.contains("webIdentityToken"), "{xml}");
}

/// U+0000 at the token and revocation endpoints (form and Basic credentials): invalid_request
/// or invalid_client, never a 500.
#[tokio::test]
async fn nul_at_the_oauth_endpoints_is_a_client_error() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, json!({"AllowedOAuthFlows": ["code"]})).await;
    for path in ["/oauth2/token", "/oauth2/revoke"] {
        for body in [
            "grant_type=client_credentials&client_id=%00".to_string(),
            format!("grant_type=authorization_code&client_id={}&code=%00&redirect_uri=x&token=%00", f.client_id),
            "grant_type=refresh_token&client_id=%00&refresh_token=r&token=r".to_string(),
        ] {
            let r = app
                .http
                .post(app.url(&f.pool, path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone())
                .send()
                .await
                .expect("send");
            assert_eq!(r.status(), 400, "{path} {body}");
            let v: Value = r.json().await.expect("json");
            assert_eq!(v["error"], "invalid_request", "{path} {body}: {v}");
        }
        // `%00` inside client_secret_basic credentials (percent-decoded, RFC 6749 §2.3.1).
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode("%00:secret");
        let r = app
            .http
            .post(app.url(&f.pool, path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("authorization", format!("Basic {basic}"))
            .body("grant_type=client_credentials&token=t")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 401, "{path}");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"], "invalid_client", "{path}: {v}");
    }
}

/// U+0000 in the hosted pages' forms and queries, and at authorize and logout: the 400 page.
#[tokio::test]
async fn nul_on_the_hosted_pages_is_the_400_page() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let authorize = f.authorize_url(&app, "");
    let query = authorize.split_once('?').map(|(_, q)| q.to_string()).unwrap_or_default();
    let page = browser.get(app.url(&f.pool, &format!("/login?{query}"))).send().await.expect("login page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let csrf = hidden(&html, "_csrf");
    for page in ["login", "confirm", "resendcode", "forgotPassword", "signup", "confirmForgotPassword"] {
        let r = browser
            .post(app.url(&f.pool, &format!("/{page}?{query}")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_csrf={csrf}&username=al%00ice&password=x&code=1"))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400, "POST /{page}");
        let text = r.text().await.expect("html");
        assert!(text.contains("control characters"), "POST /{page}: {text}");
    }
    for url in [
        app.url(&f.pool, "/oauth2/authorize?client_id=%00&response_type=code"),
        app.url(&f.pool, &format!("/oauth2/authorize?{query}&state=%00")),
        app.url(&f.pool, &format!("/login?{query}&username=%00")),
        app.url(&f.pool, &format!("/signup?{query}&nonce=%00")),
        app.url(&f.pool, "/logout?client_id=%00&logout_uri=x"),
        app.url(&f.pool, "/oauth2/idpresponse?state=%00&code=c"),
    ] {
        let r = browser.get(&url).send().await.expect("send");
        assert_eq!(r.status(), 400, "GET {url}");
        assert!(r.text().await.expect("html").contains("control characters"), "GET {url}");
    }
    // A NUL-bearing cookie is no session, no CSRF token: the page is served as usual.
    let r = app
        .http
        .get(app.url(&f.pool, &format!("/login?{query}")))
        .header("cookie", "portcullis_session=%00; portcullis_csrf=%00; portcullis_confirm=%00")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 200);
}
