//! The hosted pages without a password, over HTTP (the browser's part played by the test and the
//! software authenticator): "Email me a code" to the app's callback, the same page and answers
//! for a name nobody has, the passkey offered after a password sign-in and added on
//! `/passkeys`, then "Sign in with a passkey"; the pages' CSP allows this server's script only.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use crate::soft_authenticator::SoftAuthenticator;
use serde_json::{Value, json};

/// A pool whose hosted pages offer codes and passkeys (relying party `localhost`), its client
/// and alice with a verified address.
async fn passwordless_flow(app: &TestApp) -> Flow {
    let f = setup_flow(app, false, json!({})).await;
    let policy = json!({"UserPoolId": f.pool,
        "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]}}});
    app.ok("UpdateUserPool", policy).await;
    let webauthn = json!({"UserPoolId": f.pool, "WebAuthnConfiguration": {"RelyingPartyId": "localhost"}});
    app.ok("SetUserPoolMfaConfig", webauthn).await;
    f
}

/// The sign-in page's HTML, reached from the app's authorize request.
async fn login_html(browser: &reqwest::Client, app: &TestApp, f: &Flow) -> String {
    let r = browser.get(f.authorize_url(app, "")).send().await.unwrap();
    let page = browser.get(location(&r)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

async fn press(browser: &reqwest::Client, html: &str, username: &str, action: &str) -> reqwest::Response {
    let form = [("_csrf", hidden(html, "_csrf")), ("username", username.into()), ("action", action.into())];
    browser.post(form_action(html)).form(&form).send().await.unwrap()
}

/// The form whose tag holds `marker`: its tag and body, up to `</form>`.
fn form_with<'a>(html: &'a str, marker: &str) -> &'a str {
    let at = html.find(marker).unwrap_or_else(|| panic!("no {marker} in {html}"));
    let start = html[..=at].rfind("<form").expect("a form");
    &html[start..start + html[start..].find("</form>").expect("</form>")]
}

/// The attribute `name` of the form whose tag holds `marker`, unescaped.
fn attribute(html: &str, marker: &str, name: &str) -> String {
    let form = form_with(html, marker);
    let start = form.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("no {name} in {form}")) + name.len() + 3;
    let end = form[start..].find('"').unwrap() + start;
    unescape(&form[start..end]).replace("&quot;", "\"").replace("&#34;", "\"")
}

/// The form's action and its hidden CSRF token, session and username.
fn form_fields(html: &str, marker: &str) -> (String, Vec<(String, String)>) {
    let form = form_with(html, marker);
    let mut fields = Vec::new();
    for name in ["_csrf", "session", "username", "credential_id"] {
        if form.contains(&format!("name=\"{name}\" value=")) {
            fields.push((name.to_string(), hidden(form, name)));
        }
    }
    (attribute(html, marker, "action"), fields)
}

async fn code_of(browser: &reqwest::Client, html: &str, code: &str) -> reqwest::Response {
    let (action, mut fields) = form_fields(html, "name=\"mfaForm\"");
    fields.push(("challenge".into(), "EMAIL_OTP".into()));
    fields.push(("destination".into(), hidden(html, "destination")));
    fields.push(("code".into(), code.into()));
    browser.post(action).form(&fields).send().await.unwrap()
}

#[tokio::test]
async fn email_me_a_code_signs_in_and_reads_the_same_for_a_name_nobody_has() {
    let (app, sink) = spawn_with_mail().await;
    let f = passwordless_flow(&app).await;
    let browser = app.browser();
    let html = login_html(&browser, &app, &f).await;
    assert!(html.contains("id=\"email-code-sign-in\"") && html.contains("id=\"passkey-sign-in\""), "{html}");

    let page = press(&browser, &html, "alice", "email_code").await;
    assert_eq!(page.status(), 200);
    let code_page = page.text().await.unwrap();
    assert!(code_page.contains("a***@e***"), "{code_page}");
    let code = sink.nth_to("alice@example.com", 0).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = code_of(&browser, &code_page, wrong).await;
    assert_eq!(r.status(), 400);
    let again = r.text().await.unwrap();
    let r = code_of(&browser, &again, &code).await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap_or_default());
    let back = location(&r);
    // Signed in without a passkey: the offer comes first, and "Not now" goes on to the app.
    assert!(back.contains("/passkeys?") && back.ends_with("&offer=1"), "{back}");
    let offer = browser.get(&back).send().await.unwrap();
    let noted: Vec<&str> = offer.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect();
    assert!(
        noted.iter().any(|c| c.starts_with("portcullis_passkey_offered=1") && c.contains("Max-Age=2592000")),
        "{noted:?}"
    );
    let offer = offer.text().await.unwrap();
    let r = browser.get(link(&offer, "continue-link")).send().await.unwrap();
    let callback = location(&r);
    assert!(callback.starts_with(CALLBACK), "{callback}");
    let t = f.redeem(&app, &query_param(&callback, "code").unwrap()).await;
    assert_eq!(t.status(), 200);
    // A browser that was offered one (and has no session): its sign-in goes straight back.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str("portcullis_passkey_offered=1; Path=/", &app.base.parse().unwrap());
    let offered =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_provider(jar).build().unwrap();
    let html = login_html(&offered, &app, &f).await;
    let r = post_login(&offered, &html, "alice", PASSWORD).await;
    assert!(location(&r).starts_with(CALLBACK), "offered once a month: {}", location(&r));

    // A name nobody has: the same page, a wrong code read the same, no mail.
    let stranger = app.browser();
    let html = login_html(&stranger, &app, &f).await;
    let page = press(&stranger, &html, "nobody", "email_code").await;
    assert_eq!(page.status(), 200);
    let nobody_page = page.text().await.unwrap();
    let r = code_of(&stranger, &nobody_page, wrong).await;
    assert_eq!(r.status(), 400);
    let nobody_wrong = r.text().await.unwrap();
    let error = |h: &str| h[h.find("id=\"form-error\"").unwrap()..].split('<').next().unwrap().to_string();
    assert_eq!(error(&nobody_wrong), error(&again), "a wrong code reads the same");
    assert_eq!(sink.all().len(), 1, "nobody was sent nothing");
}

#[tokio::test]
async fn a_passkey_added_after_sign_in_then_signs_in_from_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let f = passwordless_flow(&app).await;
    let browser = app.browser();
    let html = login_html(&browser, &app, &f).await;
    let r = post_login(&browser, &html, "alice", PASSWORD).await;
    let offer_url = location(&r);
    assert!(offer_url.ends_with("&offer=1"), "{offer_url}");
    let offer = browser.get(&offer_url).send().await.unwrap();
    let csp = offer.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{csp}");
    let offer = offer.text().await.unwrap();
    assert!(offer.contains("<script src=\"/static/passkey.js\" defer></script>"), "{offer}");
    let options: Value = serde_json::from_str(&attribute(&offer, "name=\"addPasskeyForm\"", "data-options")).unwrap();
    let mut key = SoftAuthenticator::new(&format!("http://localhost:{}", app.port));
    let credential = key.register(&options);
    let (action, mut fields) = form_fields(&offer, "name=\"addPasskeyForm\"");
    fields.push(("credential".into(), credential.to_string()));
    let added = browser.post(action).form(&fields).send().await.unwrap();
    assert_eq!(added.status(), 200);
    let added = added.text().await.unwrap();
    assert!(added.contains("Passkey 1") && added.contains("The passkey was added."), "{added}");
    let script = app.http.get(format!("{}/static/passkey.js", app.base)).send().await.unwrap();
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));

    // Another browser signs in with it from the sign-in page.
    let other = app.browser();
    let html = login_html(&other, &app, &f).await;
    let page = press(&other, &html, "alice", "passkey").await.text().await.unwrap();
    let options: Value = serde_json::from_str(&attribute(&page, "name=\"passkeyForm\"", "data-options")).unwrap();
    let (action, mut fields) = form_fields(&page, "name=\"passkeyForm\"");
    fields.push(("credential".into(), key.assert(&options).to_string()));
    let r = other.post(action).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap_or_default());
    let callback = location(&r);
    assert!(callback.starts_with(CALLBACK), "with a passkey, no offer: {callback}");
    assert_eq!(f.redeem(&app, &query_param(&callback, "code").unwrap()).await.status(), 200);

    // Removed on /passkeys: the next password sign-in offers one again.
    let list = browser.get(offer_url.replace("&offer=1", "")).send().await.unwrap().text().await.unwrap();
    let (action, fields) = form_fields(&list, "name=\"removeButton\"");
    let removed = browser.post(action).form(&fields).send().await.unwrap().text().await.unwrap();
    assert!(removed.contains("The passkey was removed.") && removed.contains("You have no passkeys yet."), "{removed}");
}
