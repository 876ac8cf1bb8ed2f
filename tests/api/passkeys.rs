//! Passkeys over HTTP with a software authenticator ([`crate::soft_authenticator`]): the pool's
//! WebAuthnConfiguration, registration by access token, the list and removal, USER_AUTH with
//! WEB_AUTHN (CREDENTIAL_REQUEST_OPTIONS → CREDENTIAL), and what is refused: a replayed
//! registration or assertion, a wrong origin or relying party, a counter that goes back, another
//! client's registration, a pool without passkeys; names no user has under
//! PreventUserExistenceErrors.

use crate::helpers::*;
use crate::soft_authenticator::SoftAuthenticator;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

const ORIGIN: &str = "http://localhost:3000";

/// A pool allowing PASSWORD and WEB_AUTHN with `localhost` as relying party, a USER_AUTH client,
/// and alice.
async fn passkey_pool(app: &TestApp, hide: bool) -> Flow {
    let pool = app
        .create_pool(json!({"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}}))
        .await;
    let webauthn = json!({"RelyingPartyId": "localhost", "UserVerification": "required"});
    let v = app.ok("SetUserPoolMfaConfig", json!({"UserPoolId": pool, "WebAuthnConfiguration": webauthn})).await;
    assert_eq!(v["WebAuthnConfiguration"], webauthn, "{v}");
    let prevent = if hide { "ENABLED" } else { "LEGACY" };
    let extra = json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "PreventUserExistenceErrors": prevent});
    let (client_id, _) = app.create_client(&pool, false, extra).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret: None, verifier, challenge }
}

async fn start(app: &TestApp, client_id: &str, params: Value) -> (u16, Value) {
    app.public_api("InitiateAuth", json!({"AuthFlow": "USER_AUTH", "ClientId": client_id, "AuthParameters": params}))
        .await
}

async fn password_token(app: &TestApp, f: &Flow) -> Value {
    let (st, v) =
        start(app, &f.client_id, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD}))
            .await;
    assert_eq!(st, 200, "{v}");
    v["AuthenticationResult"]["AccessToken"].clone()
}

async fn register(app: &TestApp, access: &Value, authenticator: &mut SoftAuthenticator) -> (u16, Value) {
    let (st, v) = app.public_api("StartWebAuthnRegistration", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "{v}");
    let credential = authenticator.register(&v["CredentialCreationOptions"]);
    app.public_api("CompleteWebAuthnRegistration", json!({"AccessToken": access, "Credential": credential})).await
}

/// A WEB_AUTHN challenge for `name`: its session and the request options.
async fn passkey_challenge(app: &TestApp, f: &Flow, name: &str) -> (Value, Value) {
    let (st, v) = start(app, &f.client_id, json!({"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"})).await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("WEB_AUTHN")), "{v}");
    let options: Value =
        serde_json::from_str(v["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"].as_str().unwrap()).unwrap();
    (v["Session"].clone(), options)
}

async fn answer(app: &TestApp, f: &Flow, name: &str, session: &Value, credential: &Value) -> (u16, Value) {
    let body = json!({"ClientId": f.client_id, "ChallengeName": "WEB_AUTHN", "Session": session,
                      "ChallengeResponses": {"USERNAME": name, "CREDENTIAL": credential.to_string()}});
    app.public_api("RespondToAuthChallenge", body).await
}

fn refused(st: u16, v: &Value) {
    assert_eq!((st, v["message"].as_str()), (400, Some("Incorrect username or password.")), "{v}");
}

#[tokio::test]
async fn a_user_registers_signs_in_with_and_removes_a_passkey() {
    let app = TestApp::spawn().await;
    let f = passkey_pool(&app, false).await;
    let access = password_token(&app, &f).await;

    let (st, v) = app.public_api("StartWebAuthnRegistration", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "{v}");
    let options = &v["CredentialCreationOptions"];
    assert_eq!(options["rp"]["id"], "localhost");
    assert_eq!(options["user"]["name"], "alice");
    assert_eq!(options["authenticatorSelection"]["userVerification"], "required");
    assert!(options["pubKeyCredParams"].as_array().unwrap().iter().any(|p| p["alg"] == -7), "{options}");
    let mut key = SoftAuthenticator::new(ORIGIN);
    let credential = key.register(options);
    let complete = json!({"AccessToken": access, "Credential": credential});
    let (st, v) = app.public_api("CompleteWebAuthnRegistration", complete.clone()).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = app.public_api("CompleteWebAuthnRegistration", complete).await;
    assert_eq!(
        (st, v["__type"].as_str()),
        (400, Some("WebAuthnChallengeNotFoundException")),
        "a registration completes once: {v}"
    );

    let (st, list) = app.public_api("ListWebAuthnCredentials", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "{list}");
    let creds = list["Credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 1, "{list}");
    assert_eq!(creds[0]["CredentialId"], credential["id"]);
    assert_eq!(creds[0]["RelyingPartyId"], "localhost");
    assert_eq!(creds[0]["AuthenticatorTransports"], json!(["internal"]));
    assert_eq!(creds[0]["AuthenticatorAttachment"], "platform");
    let (_, factors) = app.public_api("GetUserAuthFactors", json!({"AccessToken": access})).await;
    assert_eq!(factors["ConfiguredUserAuthFactors"], json!(["PASSWORD", "WEB_AUTHN"]), "{factors}");

    // Signing in: offered, then the assertion over the challenge.
    let (_, v) = start(&app, &f.client_id, json!({"USERNAME": "alice"})).await;
    assert_eq!(v["AvailableChallenges"], json!(["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN"]), "{v}");
    let (session, options) = passkey_challenge(&app, &f, "alice").await;
    assert_eq!(options["rpId"], "localhost");
    assert_eq!(options["allowCredentials"][0]["id"], credential["id"]);
    let assertion = key.assert(&options);
    let (st, out) = answer(&app, &f, "alice", &session, &assertion).await;
    assert_eq!(st, 200, "{out}");
    assert_eq!(claims(out["AuthenticationResult"]["IdToken"].as_str().unwrap())["cognito:username"], "alice");
    let (st, v) = answer(&app, &f, "alice", &session, &assertion).await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("NotAuthorizedException")), "a session answers once: {v}");

    // The same assertion for a new challenge, a counter gone back, a foreign origin: refused.
    let (session, _) = passkey_challenge(&app, &f, "alice").await;
    let (st, v) = answer(&app, &f, "alice", &session, &assertion).await;
    refused(st, &v);
    let (session, options) = passkey_challenge(&app, &f, "alice").await;
    key.counter = 0;
    let (st, v) = answer(&app, &f, "alice", &session, &key.assert(&options)).await;
    refused(st, &v);
    key.counter = 10;
    let (session, options) = passkey_challenge(&app, &f, "alice").await;
    let mut elsewhere = SoftAuthenticator::new("https://evil.example");
    std::mem::swap(&mut elsewhere.origin, &mut key.origin);
    let (st, v) = answer(&app, &f, "alice", &session, &key.assert(&options)).await;
    refused(st, &v);
    std::mem::swap(&mut elsewhere.origin, &mut key.origin);
    let (session, options) = passkey_challenge(&app, &f, "alice").await;
    let (st, out) = answer(&app, &f, "alice", &session, &key.assert(&options)).await;
    assert_eq!(st, 200, "the passkey still signs in from its own origin: {out}");

    // Removed: no longer offered, and not found a second time.
    let id = credential["id"].clone();
    assert_eq!(
        app.public_api("DeleteWebAuthnCredential", json!({"AccessToken": access, "CredentialId": id})).await.0,
        200
    );
    let (st, v) = app.public_api("DeleteWebAuthnCredential", json!({"AccessToken": access, "CredentialId": id})).await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("ResourceNotFoundException")), "{v}");
    let (_, v) = start(&app, &f.client_id, json!({"USERNAME": "alice"})).await;
    assert_eq!(v["AvailableChallenges"], json!(["PASSWORD", "PASSWORD_SRP"]), "{v}");
}

#[tokio::test]
async fn registrations_are_refused_for_other_origins_parties_clients_and_pools() {
    let app = TestApp::spawn().await;
    let f = passkey_pool(&app, false).await;
    let access = password_token(&app, &f).await;

    let (st, v) = register(&app, &access, &mut SoftAuthenticator::new("https://evil.example")).await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("WebAuthnOriginNotAllowedException")), "{v}");
    let mut other_party = SoftAuthenticator::new(ORIGIN);
    other_party.rp_id = Some("example.com".into());
    let (st, v) = register(&app, &access, &mut other_party).await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("WebAuthnRelyingPartyMismatchException")), "{v}");

    // Started with one client's token, completed with another's.
    let (other, _) = app.create_client(&f.pool, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"]})).await;
    let (_, v) =
        start(&app, &other, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD}))
            .await;
    let other_access = v["AuthenticationResult"]["AccessToken"].clone();
    let (_, v) = app.public_api("StartWebAuthnRegistration", json!({"AccessToken": access})).await;
    let credential = SoftAuthenticator::new(ORIGIN).register(&v["CredentialCreationOptions"]);
    let (st, v) = app
        .public_api("CompleteWebAuthnRegistration", json!({"AccessToken": other_access, "Credential": credential}))
        .await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("WebAuthnClientMismatchException")), "{v}");

    // A pool without WEB_AUTHN among its first factors.
    let plain = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&plain, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"]})).await;
    app.create_user(&plain, "bo", PASSWORD, json!([])).await;
    let (_, v) =
        start(&app, &client, json!({"USERNAME": "bo", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD})).await;
    let (st, e) = app
        .public_api("StartWebAuthnRegistration", json!({"AccessToken": v["AuthenticationResult"]["AccessToken"]}))
        .await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("WebAuthnNotEnabledException")), "{e}");

    // The configuration is checked.
    for bad in [json!({"RelyingPartyId": "https://localhost"}), json!({"UserVerification": "sometimes"})] {
        let (st, e) =
            app.api("SetUserPoolMfaConfig", json!({"UserPoolId": f.pool, "WebAuthnConfiguration": bad})).await;
        assert_eq!((st, e["__type"].as_str()), (400, Some("InvalidParameterException")), "{bad}: {e}");
    }
}

#[tokio::test]
async fn hidden_names_get_a_passkey_challenge_of_the_same_shape_that_never_signs_in() {
    let app = TestApp::spawn().await;
    let f = passkey_pool(&app, true).await;
    let access = password_token(&app, &f).await;
    let mut key = SoftAuthenticator::new(ORIGIN);
    assert_eq!(register(&app, &access, &mut key).await.0, 200);

    let (_, real) = passkey_challenge(&app, &f, "alice").await;
    let (session, fake) = passkey_challenge(&app, &f, "nobody").await;
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&real), keys(&fake), "{real} / {fake}");
    assert_eq!(keys(&real["allowCredentials"][0]), keys(&fake["allowCredentials"][0]));
    let (_, again) = passkey_challenge(&app, &f, "nobody").await;
    assert_eq!(fake["allowCredentials"], again["allowCredentials"], "a name's stand-in credential is stable");
    // alice's own passkey, offered for a name nobody has, does not sign anyone in.
    let (st, v) = answer(&app, &f, "nobody", &session, &key.assert(&fake)).await;
    refused(st, &v);
}

/// The dashboard's user page lists a user's passkeys and removes one, audited.
#[tokio::test]
async fn the_dashboard_user_page_lists_and_removes_passkeys() {
    use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
    let app = spawn_dashboard(portcullis::config::AdminMfa::Optional).await;
    let f = passkey_pool(&app, false).await;
    let access = password_token(&app, &f).await;
    let mut key = SoftAuthenticator::new(ORIGIN);
    assert_eq!(register(&app, &access, &mut key).await.0, 200);
    let id = URL_SAFE_NO_PAD.encode(&key.credential_id);

    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let user_page = format!("/admin/pools/{}/users/alice", f.pool);
    let page = admin.get(&app, &user_page).await.text().await.unwrap();
    assert!(
        page.contains(&format!("<td>Passkey 1</td><td class=\"mono\">{id}</td><td>platform: internal</td>")),
        "{page}"
    );
    let r = admin.post(&app, &format!("{user_page}/remove-passkey"), &[("credential", id.as_str())]).await;
    assert_eq!(r.status(), 303);
    let (_, list) = app.public_api("ListWebAuthnCredentials", json!({"AccessToken": access})).await;
    assert_eq!(list["Credentials"], json!([]), "{list}");
    let again = admin.post(&app, &format!("{user_page}/remove-passkey"), &[("credential", id.as_str())]).await;
    assert_eq!(again.status(), 400, "no such passkey any more");
    let audit = admin.get(&app, &format!("/admin/events?pool={}&category=audit", f.pool)).await.text().await.unwrap();
    assert!(audit.contains("DeleteWebAuthnCredential"), "the removal is audited");
}

/// Without a RelyingPartyId the relying party is the pool's domain (custom first, then its
/// prefix under the domain base), else the host of PORTCULLIS_PUBLIC_URL.
#[tokio::test]
async fn the_default_relying_party_is_the_pools_domain() {
    let app = TestApp::spawn_with(|c| c.public_url = c.public_url.replace("127.0.0.1", "localhost")).await;
    let pool = app
        .create_pool(json!({"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}}))
        .await;
    let extra = json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"]});
    let (client_id, _) = app.create_client(&pool, false, extra).await;
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool, client_id, secret: None, verifier, challenge };
    let rp = || async {
        let access = password_token(&app, &f).await;
        let (st, v) = app.public_api("StartWebAuthnRegistration", json!({"AccessToken": access})).await;
        assert_eq!(st, 200, "{v}");
        v["CredentialCreationOptions"]["rp"]["id"].as_str().unwrap().to_string()
    };
    assert_eq!(rp().await, "localhost", "no domain: the public URL's host");
    app.ok("CreateUserPoolDomain", json!({"UserPoolId": f.pool, "Domain": "acme"})).await;
    assert_eq!(rp().await, format!("acme.{}", app.config.domain_base));
    let custom = json!({"UserPoolId": f.pool, "Domain": "auth.example.com",
                        "CustomDomainConfig": {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}});
    app.ok("CreateUserPoolDomain", custom).await;
    assert_eq!(rp().await, "auth.example.com", "a custom domain first");
}
