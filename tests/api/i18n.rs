//! Languages of the hosted pages and their mails: chosen by `lang` (which wins), then
//! `Accept-Language`, then English; service errors translated on the pages (unknown users
//! still read like wrong passwords); default mails in the language of the page that sent them.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use serde_json::json;

/// A browser that sends this `Accept-Language` on every request (none when `None`).
fn browser_speaking(accept_language: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(al) = accept_language {
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, al.parse().unwrap());
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// authorize (with `extra` query members) → the sign-in page's HTML.
async fn login_page(app: &TestApp, f: &Flow, browser: &reqwest::Client, extra: &str) -> String {
    let r = browser.get(f.authorize_url(app, extra)).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let page = browser.get(location(&r)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// The text of the page's error paragraph.
fn error_text(html: &str) -> String {
    let start = html.find("id=\"form-error\">").unwrap_or_else(|| panic!("no error in {html}")) + 16;
    let end = html[start..].find("</p>").unwrap() + start;
    unescape(&html[start..end])
}

#[tokio::test]
async fn the_sign_in_page_speaks_french_by_lang_and_german_by_accept_language() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;

    let fr = login_page(&app, &f, &browser_speaking(None), "&lang=fr").await;
    assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
    assert!(fr.contains("<title>Connexion</title>"));
    assert!(fr.contains(">Se connecter</button>"));
    assert!(unescape(&fr).contains("Mot de passe oublié\u{a0}?"));
    assert!(fr.contains("pour continuer vers web"));
    assert!(!fr.contains(">Sign in<"), "no English left: {fr}");
    assert!(form_action(&fr).contains("lang=fr"), "the language goes on with the form");

    let de = login_page(&app, &f, &browser_speaking(Some("de-CH, de;q=0.9, en;q=0.5")), "").await;
    assert!(de.contains("<html lang=\"de\">"), "{de}");
    assert!(de.contains(">Anmelden</button>") && de.contains(">Passwort vergessen?</a>"));
    assert!(de.contains(">Benutzername</label>") && de.contains(">Passwort</label>"));
}

#[tokio::test]
async fn lang_beats_accept_language_and_unknown_languages_fall_back() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    // (why, extra authorize query, Accept-Language, the page's language, a text of that page)
    let rows = [
        ("the highest q-value shipped wins", "", Some("es, de;q=0.3, fr;q=0.8"), "fr", ">Se connecter</button>"),
        ("lang beats Accept-Language", "&lang=fr", Some("de"), "fr", ">Se connecter</button>"),
        ("an unknown lang falls back to English", "&lang=xx", None, "en", ">Sign in</button>"),
        ("no shipped language accepted: English", "", Some("es-ES, it;q=0.5"), "en", ">Sign in</button>"),
        ("an unshipped lang defers to the browser's languages", "&lang=xx", Some("de"), "de", ">Anmelden</button>"),
        ("neither: English", "", None, "en", "Forgot your password?"),
    ];
    let rows = rows.map(|(why, extra, accept, lang, text)| (why, (extra, accept, lang, text)));
    for_each_row(rows, async |(extra, accept, lang, text)| {
        let page = login_page(&app, &f, &browser_speaking(accept), extra).await;
        assert!(page.contains(&format!("<html lang=\"{lang}\">")), "not in {lang}: {page}");
        assert!(page.contains(text), "no {text:?} in {page}");
    })
    .await;
}

#[tokio::test]
async fn errors_are_translated_and_unknown_users_read_like_wrong_passwords_in_every_language() {
    let app = TestApp::spawn().await;
    // Without PreventUserExistenceErrors the engine says "User does not exist." for unknown
    // users; the page must still read exactly like a wrong password.
    let f = setup_flow(&app, false, json!({"PreventUserExistenceErrors": "LEGACY"})).await;
    let expected = [
        ("en", "Incorrect username or password."),
        ("fr", "Nom d'utilisateur ou mot de passe incorrect."),
        ("de", "Falscher Benutzername oder falsches Passwort."),
    ];
    for_each_row(expected.map(|(lang, text)| (lang, (lang, text))), async |(lang, text)| {
        let browser = browser_speaking(None);
        let page = login_page(&app, &f, &browser, &format!("&lang={lang}")).await;
        let mut answers = Vec::new();
        for (user, password) in [("alice", "Wrong-Horse-1"), ("nobody", "Wrong-Horse-1")] {
            let r = browser
                .post(form_action(&page))
                .form(&[("_csrf", hidden(&page, "_csrf").as_str()), ("username", user), ("password", password)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 400);
            let html = r.text().await.unwrap();
            assert!(html.contains(&format!("<html lang=\"{lang}\">")));
            answers.push(error_text(&html));
        }
        assert_eq!(answers[0], text);
        assert_eq!(answers[0], answers[1], "unknown user and wrong password read the same");
    })
    .await;

    // A page-level error of the form, and an error page, in French.
    let browser = browser_speaking(Some("fr"));
    let page = login_page(&app, &f, &browser, "").await;
    let r = browser
        .post(form_action(&page))
        .form(&[("_csrf", hidden(&page, "_csrf").as_str()), ("username", ""), ("password", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_text(&r.text().await.unwrap()), "Saisissez votre nom d'utilisateur et votre mot de passe.");
    let bad_client = app.url(&f.pool, "/oauth2/authorize?response_type=code&client_id=nope&redirect_uri=x");
    let r = browser.get(bad_client).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let html = unescape(&r.text().await.unwrap());
    assert!(html.contains("<html lang=\"fr\">") && html.contains("<title>Erreur</title>"), "{html}");
    assert!(html.contains("Le client_id est absent ou n'appartient pas à ce groupe d'utilisateurs."), "{html}");

    // The JSON API keeps Cognito's English message, whatever the browser prefers.
    let (status, v) = initiate_auth(&app, &f.client_id, "alice", "Wrong-Horse-1").await;
    assert_eq!((status, v["message"].as_str()), (400, Some("Incorrect username or password.")));
}

#[tokio::test]
async fn sign_up_in_french_mails_the_code_in_french_and_translates_policy_errors() {
    let (app, sink) = spawn_with_mail().await;
    let pool = app
        .create_pool(json!({
            "AutoVerifiedAttributes": ["email"],
            "Schema": [{"Name": "given_name", "AttributeDataType": "String", "Required": true, "Mutable": true}],
        }))
        .await;
    let (client_id, _) = app.create_client(&pool, false, json!({})).await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool, client_id, secret: None, verifier, challenge };
    let browser = browser_speaking(None);
    let login = login_page(&app, &f, &browser, "&lang=fr").await;
    let signup = browser.get(link(&login, "signup-link")).send().await.unwrap().text().await.unwrap();
    let text = unescape(&signup);
    assert!(text.contains("<html lang=\"fr\">") && text.contains("<h1>Créer un compte</h1>"), "{text}");
    assert!(text.contains(">Prénom</label>") && text.contains(">Adresse e-mail</label>"));
    assert!(text.contains("<li>Au moins 8\u{a0}caractères</li>") && text.contains("<li>Un caractère spécial</li>"));

    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("_csrf", hidden(&signup, "_csrf"))];
        form.extend(fields);
        browser.post(form_action(&signup)).form(&form).send()
    };
    let weak = post(vec![
        ("username", "marie".into()),
        ("password", "court".into()),
        ("userAttributes.email", "marie@example.com".into()),
        ("userAttributes.given_name", "Marie".into()),
    ])
    .await
    .unwrap();
    assert_eq!(weak.status(), 400);
    assert_eq!(
        error_text(&weak.text().await.unwrap()),
        "Le mot de passe n'est pas conforme à la politique\u{a0}: mot de passe trop court"
    );

    let r = post(vec![
        ("username", "marie".into()),
        ("password", PASSWORD.into()),
        ("userAttributes.email", "marie@example.com".into()),
        ("userAttributes.given_name", "Marie".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 302);
    let confirm_url = location(&r);
    assert!(confirm_url.contains("lang=fr"), "{confirm_url}");
    let mail = sink.nth_to("marie@example.com", 0).await;
    assert_eq!(mail.subject(), "Votre code de vérification");
    let code = mail.code();
    assert_eq!(mail.text().trim(), format!("Votre code de vérification est {code}."));
    assert!(mail.html().contains("lang=\"fr\""));

    let confirm = browser.get(&confirm_url).send().await.unwrap().text().await.unwrap();
    assert!(unescape(&confirm).contains("<h1>Confirmez votre compte</h1>"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = browser
        .post(form_action(&confirm))
        .form(&[("_csrf", hidden(&confirm, "_csrf").as_str()), ("username", "marie"), ("code", wrong)])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(error_text(&bad.text().await.unwrap()), "Code de vérification non valide, veuillez réessayer.");

    // The same pool through the JSON API: Cognito's English default.
    let (status, _) = app
        .public_api(
            "SignUp",
            json!({"ClientId": f.client_id, "Username": "mary", "Password": PASSWORD,
                   "UserAttributes": [{"Name": "email", "Value": "mary@example.com"}, {"Name": "given_name", "Value": "Mary"}]}),
        )
        .await;
    assert_eq!(status, 200);
    let mail = sink.nth_to("mary@example.com", 0).await;
    assert_eq!(mail.text().trim(), format!("Your verification code is {}.", mail.code()));
}
