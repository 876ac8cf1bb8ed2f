//! Terms documents through the signed API (CreateTerms, DescribeTerms, ListTerms, UpdateTerms,
//! DeleteTerms): what each answers, every refusal, paging, and the rows going with their client
//! or pool; then the hosted sign-up and sign-in pages linking a client's documents in the page's
//! language (falling back to `cognito:default`), and the dashboard's preview showing them.

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
use crate::helpers::*;
use portcullis::config::AdminMfa;
use portcullis::ids::ClientId;
use serde_json::{Value, json};

const TERMS: &str = "https://example.com/terms";
const TERMS_FR: &str = "https://example.com/fr/terms";
const PRIVACY: &str = "https://example.com/privacy?a=1&b=2";

fn create_body(pool: &str, client: &str, name: &str, links: Value) -> Value {
    json!({"UserPoolId": pool, "ClientId": client, "TermsName": name, "TermsSource": "LINK",
           "Enforcement": "NONE", "Links": links})
}

async fn create(app: &TestApp, pool: &str, client: &str, name: &str, links: Value) -> Value {
    app.ok("CreateTerms", create_body(pool, client, name, links)).await["Terms"].clone()
}

/// A refused call: (`__type`, message).
async fn refused(app: &TestApp, action: &str, body: Value) -> (String, String) {
    let (status, v) = app.api(action, body).await;
    assert_eq!(status, 400, "{action} should be refused: {v}");
    (err_type(&v).to_string(), err_message(&v).to_string())
}

fn is_uuid_v4(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    lens == [8, 4, 4, 4, 12]
        && id.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
        && parts[2].starts_with('4')
        && parts[3].starts_with(['8', '9', 'a', 'b'])
}

#[tokio::test]
async fn terms_are_created_described_updated_and_deleted_as_the_model_says() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    let links = json!({"cognito:default": TERMS, "cognito:french": TERMS_FR});
    let t = create(&app, &pool, &client, "terms-of-use", links.clone()).await;
    let id = t["TermsId"].as_str().unwrap().to_string();
    assert!(is_uuid_v4(&id), "{id}");
    let created = t["CreationDate"].as_i64().expect("epoch seconds");
    assert!(created > 1_600_000_000 && created < 10_000_000_000, "seconds, not millis: {created}");
    assert_eq!(
        t,
        json!({"TermsId": id, "UserPoolId": pool, "ClientId": client, "TermsName": "terms-of-use",
               "TermsSource": "LINK", "Enforcement": "NONE", "Links": links,
               "CreationDate": created, "LastModifiedDate": created})
    );
    let described = app.ok("DescribeTerms", json!({"UserPoolId": pool, "TermsId": id})).await;
    assert_eq!(described, json!({"Terms": t}));

    // Partial: only the links change, and the modification date moves on.
    app.clock.advance_secs(60);
    let new_links = json!({"cognito:german": "https://example.com/de/terms"});
    let u =
        app.ok("UpdateTerms", json!({"UserPoolId": pool, "TermsId": id, "Links": new_links})).await["Terms"].clone();
    assert_eq!((&u["TermsName"], &u["Links"], &u["ClientId"]), (&json!("terms-of-use"), &new_links, &json!(client)));
    assert_eq!((u["CreationDate"].as_i64(), u["LastModifiedDate"].as_i64()), (Some(created), Some(created + 60)));
    // Only the name changes.
    let u = app.ok("UpdateTerms", json!({"UserPoolId": pool, "TermsId": id, "TermsName": "privacy-policy"})).await;
    assert_eq!((&u["Terms"]["TermsName"], &u["Terms"]["Links"]), (&json!("privacy-policy"), &new_links));
    let described = app.ok("DescribeTerms", json!({"UserPoolId": pool, "TermsId": id})).await;
    assert_eq!(described["Terms"], u["Terms"], "the update was stored");

    assert_eq!(app.ok("DeleteTerms", json!({"UserPoolId": pool, "TermsId": id})).await, json!({}));
    for action in ["DescribeTerms", "DeleteTerms"] {
        let (kind, _) = refused(&app, action, json!({"UserPoolId": pool, "TermsId": id})).await;
        assert_eq!(kind, "ResourceNotFoundException", "{action} after the delete");
    }
}

#[tokio::test]
async fn every_refusal_has_cognitos_exception() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let other_pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    let (other_client, _) = app.create_client(&other_pool, false, json!({})).await;
    let ok_links = json!({"cognito:default": TERMS});
    let existing = create(&app, &pool, &client, "terms-of-use", ok_links.clone()).await;
    let existing_id = existing["TermsId"].as_str().unwrap().to_string();
    let privacy = create(&app, &pool, &client, "privacy-policy", ok_links.clone()).await;
    let privacy_id = privacy["TermsId"].as_str().unwrap().to_string();
    let fourteen: serde_json::Map<String, Value> = (0..14).map(|i| (format!("cognito:x{i}"), json!(TERMS))).collect();
    let unknown_id = "0b3e9c1a-5d2f-4a7b-9c8d-1e2f3a4b5c6d";
    let with = |edit: Value| {
        let mut body = create_body(&pool, &client, "terms-of-use", ok_links.clone());
        merge(&mut body, edit);
        body
    };

    // (why, action, body, exception, words the message holds)
    let rows = [
        (
            "a client of another pool",
            "CreateTerms",
            with(json!({"ClientId": other_client})),
            "ResourceNotFoundException",
            "client",
        ),
        (
            "an unknown client",
            "CreateTerms",
            with(json!({"ClientId": "abcdefghijklmnopqrstuvwxyz"})),
            "ResourceNotFoundException",
            "client",
        ),
        (
            "an unknown pool",
            "CreateTerms",
            with(json!({"UserPoolId": "local_nopool123"})),
            "ResourceNotFoundException",
            "pool",
        ),
        (
            "a name Cognito does not know",
            "CreateTerms",
            with(json!({"TermsName": "cookie-policy"})),
            "InvalidParameterException",
            "termsName",
        ),
        (
            "a source other than LINK",
            "CreateTerms",
            with(json!({"TermsSource": "FILE"})),
            "InvalidParameterException",
            "termsSource",
        ),
        (
            "an enforcement other than NONE",
            "CreateTerms",
            with(json!({"Enforcement": "STRICT"})),
            "InvalidParameterException",
            "enforcement",
        ),
        (
            "no links",
            "CreateTerms",
            with(json!({"Links": {}})),
            "InvalidParameterException",
            "greater than or equal to 1",
        ),
        (
            "14 links",
            "CreateTerms",
            with(json!({"Links": fourteen})),
            "InvalidParameterException",
            "less than or equal to 13",
        ),
        (
            "a language id Cognito refuses",
            "CreateTerms",
            with(json!({"Links": {"cognito:klingon": TERMS}})),
            "InvalidParameterException",
            "cognito:klingon",
        ),
        (
            "a bare language code",
            "CreateTerms",
            with(json!({"Links": {"fr": TERMS}})),
            "InvalidParameterException",
            "language id",
        ),
        (
            "plain HTTP off loopback",
            "CreateTerms",
            with(json!({"Links": {"cognito:default": "http://example.com/t"}})),
            "InvalidParameterException",
            "HTTPS",
        ),
        (
            "an app scheme",
            "CreateTerms",
            with(json!({"Links": {"cognito:default": "myapp://terms"}})),
            "InvalidParameterException",
            "HTTPS",
        ),
        (
            "javascript:",
            "CreateTerms",
            with(json!({"Links": {"cognito:default": "javascript:alert(1)"}})),
            "InvalidParameterException",
            "HTTPS",
        ),
        ("a name the client already has", "CreateTerms", with(json!({})), "TermsExistsException", "terms-of-use"),
        (
            "a rename onto a name the client has",
            "UpdateTerms",
            json!({"UserPoolId": pool, "TermsId": privacy_id, "TermsName": "terms-of-use"}),
            "TermsExistsException",
            "terms-of-use",
        ),
        (
            "an update with bad links",
            "UpdateTerms",
            json!({"UserPoolId": pool, "TermsId": existing_id, "Links": {"cognito:default": "http://example.com"}}),
            "InvalidParameterException",
            "HTTPS",
        ),
        (
            "an unknown id described",
            "DescribeTerms",
            json!({"UserPoolId": pool, "TermsId": unknown_id}),
            "ResourceNotFoundException",
            unknown_id,
        ),
        (
            "an unknown id updated",
            "UpdateTerms",
            json!({"UserPoolId": pool, "TermsId": unknown_id, "TermsName": "terms-of-use"}),
            "ResourceNotFoundException",
            unknown_id,
        ),
        (
            "an unknown id deleted",
            "DeleteTerms",
            json!({"UserPoolId": pool, "TermsId": unknown_id}),
            "ResourceNotFoundException",
            unknown_id,
        ),
        (
            "an id of another pool",
            "DescribeTerms",
            json!({"UserPoolId": other_pool, "TermsId": existing_id}),
            "ResourceNotFoundException",
            existing_id.as_str(),
        ),
        (
            "an id not shaped as a UUID",
            "DescribeTerms",
            json!({"UserPoolId": pool, "TermsId": "terms-1"}),
            "InvalidParameterException",
            "termsId",
        ),
        (
            "MaxResults over 60",
            "ListTerms",
            json!({"UserPoolId": pool, "MaxResults": 61}),
            "InvalidParameterException",
            "maxResults",
        ),
    ];
    let rows = rows.map(|(why, action, body, kind, words)| (why, (action, body, kind, words.to_string())));
    for_each_row(rows, async |(action, body, kind, words)| {
        let (got, message) = refused(&app, action, body).await;
        assert_eq!(got, kind, "{message}");
        assert!(message.contains(&words), "{words:?} not in {message:?}");
    })
    .await;

    // Nothing refused was stored or changed; the limits' edges and loopback HTTP are accepted.
    let (_, list) = app.api("ListTerms", json!({"UserPoolId": pool})).await;
    assert_eq!(list["Terms"].as_array().map(Vec::len), Some(2), "{list}");
    let described = app.ok("DescribeTerms", json!({"UserPoolId": pool, "TermsId": privacy_id})).await;
    assert_eq!(described["Terms"], privacy);
    let (second, _) = app.create_client(&pool, false, json!({})).await;
    let twelve: serde_json::Map<String, Value> = [
        "default",
        "english",
        "french",
        "spanish",
        "german",
        "bahasa-indonesia",
        "italian",
        "japanese",
        "korean",
        "portuguese-brazil",
        "chinese-simplified",
        "chinese-traditional",
    ]
    .iter()
    .map(|l| (format!("cognito:{l}"), json!(format!("https://example.com/{l}#top"))))
    .collect();
    let t = create(&app, &pool, &second, "terms-of-use", json!(twelve)).await;
    assert_eq!(t["Links"].as_object().map(|m| m.len()), Some(12), "every language id Cognito accepts");
    let local = json!({"cognito:default": "http://localhost:3000/privacy"});
    assert_eq!(create(&app, &pool, &second, "privacy-policy", local.clone()).await["Links"], local);
}

#[tokio::test]
async fn a_pools_terms_are_listed_page_by_page_and_go_with_their_client_or_pool() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (a, _) = app.create_client(&pool, false, json!({})).await;
    let (b, _) = app.create_client(&pool, false, json!({})).await;
    let other_pool = app.create_pool(json!({})).await;
    let (c, _) = app.create_client(&other_pool, false, json!({})).await;
    let links = json!({"cognito:default": TERMS});
    let mut made = std::collections::BTreeSet::new();
    for (client, name) in [(&a, "terms-of-use"), (&a, "privacy-policy"), (&b, "terms-of-use")] {
        made.insert(create(&app, &pool, client, name, links.clone()).await["TermsId"].as_str().unwrap().to_string());
    }
    create(&app, &other_pool, &c, "terms-of-use", links.clone()).await;

    let first = app.ok("ListTerms", json!({"UserPoolId": pool, "MaxResults": 2})).await;
    let page = first["Terms"].as_array().unwrap();
    assert_eq!(page.len(), 2, "{first}");
    let token = first["NextToken"].as_str().expect("a next page").to_string();
    let entry = page[0].as_object().unwrap();
    let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["CreationDate", "Enforcement", "LastModifiedDate", "TermsId", "TermsName"],
        "TermsDescriptionType"
    );
    let second = app.ok("ListTerms", json!({"UserPoolId": pool, "MaxResults": 2, "NextToken": token})).await;
    assert_eq!(second["Terms"].as_array().unwrap().len(), 1, "{second}");
    assert!(second.get("NextToken").is_none(), "the last page: {second}");
    let listed: std::collections::BTreeSet<String> = page
        .iter()
        .chain(second["Terms"].as_array().unwrap())
        .map(|t| t["TermsId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, made, "every document once, none of another pool");

    // Deleting client a removes its two; deleting the pool removes b's.
    app.ok("DeleteUserPoolClient", json!({"UserPoolId": pool, "ClientId": a})).await;
    let left = app.ok("ListTerms", json!({"UserPoolId": pool})).await;
    assert_eq!(left["Terms"].as_array().unwrap().len(), 1, "{left}");
    assert!(app.services.store.client_terms(&ClientId::from(b.clone())).await.unwrap().len() == 1);
    app.ok("DeleteUserPool", json!({"UserPoolId": pool})).await;
    assert!(app.services.store.client_terms(&ClientId::from(b)).await.unwrap().is_empty());
    assert_eq!(app.services.store.client_terms(&ClientId::from(c)).await.unwrap().len(), 1, "other pools keep theirs");
}

/// The terms line of a page: its text (tags dropped, entities decoded) and its links' hrefs.
fn terms_line(html: &str) -> Option<(String, Vec<String>)> {
    let start = html.find("id=\"terms-notice\">")? + "id=\"terms-notice\">".len();
    let line = &html[start..start + html[start..].find("</p>")?];
    let (mut text, mut hrefs, mut rest) = (String::new(), Vec::new(), line);
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let close = open + rest[open..].find('>').unwrap();
        let tag = &rest[open..=close];
        if let Some(h) = tag.strip_prefix("<a href=\"") {
            hrefs.push(unescape(&h[..h.find('"').unwrap()]));
            assert!(tag.contains("rel=\"noopener noreferrer\""), "{tag}");
        }
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
    Some((unescape(&text), hrefs))
}

/// The sign-in page and the sign-up page of `client` in `browser`, the authorize request
/// carrying `extra`.
async fn pages(app: &TestApp, pool: &str, client: &str, browser: &reqwest::Client, extra: &str) -> (String, String) {
    let (verifier, challenge) = pkce();
    let f = Flow { pool: pool.into(), client_id: client.into(), secret: None, verifier, challenge };
    let r = browser.get(f.authorize_url(app, extra)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let login_url = location(&r);
    let login = browser.get(&login_url).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let signup = browser.get(login_url.replace("/login?", "/signup?")).send().await.unwrap();
    assert_eq!(signup.status(), 200);
    (login.text().await.unwrap(), signup.text().await.unwrap())
}

#[tokio::test]
async fn the_hosted_pages_link_the_clients_terms_in_the_pages_language() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    let (bare, _) = app.create_client(&pool, false, json!({})).await;
    create(&app, &pool, &client, "terms-of-use", json!({"cognito:default": TERMS, "cognito:french": TERMS_FR})).await;
    create(&app, &pool, &client, "privacy-policy", json!({"cognito:default": PRIVACY})).await;
    let german = {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::ACCEPT_LANGUAGE, "de-DE, de;q=0.9".parse().unwrap());
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).default_headers(h)
    }
    .build()
    .unwrap();

    // (why, browser, extra authorize query, the line, the links)
    let rows = [
        (
            "English: the default links",
            app.browser(),
            "",
            "By signing up, you agree to the Terms of use and the Privacy policy.",
            [TERMS, PRIVACY],
        ),
        (
            "French by lang: the French terms, the default privacy policy",
            app.browser(),
            "&lang=fr",
            "En vous inscrivant, vous acceptez les Conditions d'utilisation et la Politique de confidentialité.",
            [TERMS_FR, PRIVACY],
        ),
        (
            "German by Accept-Language: no German link, the default ones",
            german,
            "",
            "Mit der Registrierung stimmen Sie den Nutzungsbedingungen und der Datenschutzerklärung zu.",
            [TERMS, PRIVACY],
        ),
    ];
    let rows = rows.map(|(why, browser, extra, line, links)| (why, (browser, extra, line, links)));
    for_each_row(rows, async |(browser, extra, line, links)| {
        let (login, signup) = pages(&app, &pool, &client, &browser, extra).await;
        let want = Some((line.to_string(), links.map(str::to_string).to_vec()));
        assert_eq!(terms_line(&signup), want, "the sign-up page: {signup}");
        assert_eq!(terms_line(&login), want, "the sign-in page, beside its sign-up link: {login}");
    })
    .await;
    let (_, signup) = pages(&app, &pool, &client, &app.browser(), "").await;
    assert!(signup.contains("href=\"https://example.com/privacy?a=1&#38;b=2\""), "escaped: {signup}");

    // Another client of the pool has none; nor has a page without a sign-up link.
    let (login, signup) = pages(&app, &pool, &bare, &app.browser(), "").await;
    assert_eq!((terms_line(&login), terms_line(&signup)), (None, None));
    assert!(!signup.contains(TERMS) && !login.contains(TERMS));
    app.ok("UpdateUserPool", json!({"UserPoolId": pool, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}}))
        .await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool: pool.clone(), client_id: client.clone(), secret: None, verifier, challenge };
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let login = browser.get(location(&r)).send().await.unwrap().text().await.unwrap();
    assert!(!login.contains("signup-link"), "{login}");
    assert_eq!(terms_line(&login), None, "no sign-up link, no terms: {login}");
}

#[tokio::test]
async fn the_dashboards_preview_of_the_sign_up_page_shows_the_terms() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    create(&app, &pool, &client, "terms-of-use", json!({"cognito:default": TERMS, "cognito:french": TERMS_FR})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let path = format!("/admin/pools/{pool}/clients/{client}/preview/signup?lang=fr");
    let r = admin.get(&app, &path).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let want =
        ("En vous inscrivant, vous acceptez les Conditions d'utilisation.".to_string(), vec![TERMS_FR.to_string()]);
    assert_eq!(terms_line(&html), Some(want), "{html}");
}
