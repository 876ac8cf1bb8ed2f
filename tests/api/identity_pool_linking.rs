//! Logins linked to identities: logins of different identities merge into the older one (under
//! concurrency too), a guest that signs in becomes authenticated, a second user of a provider
//! conflicts, UnlinkIdentity, and an OpenID Connect login sharing an identity with a user pool's.

use crate::helpers::*;
use crate::identity_pool_helpers::*;
use serde_json::json;

/// Two user pools (alice in each) behind one identity pool: two independent logins.
struct TwoPools {
    pool: String,
    a: String,
    b: String,
    token_a: String,
    token_b: String,
}

async fn two_pools(app: &TestApp, guests: bool) -> TwoPools {
    let fa = setup_flow(app, false, json!({})).await;
    let fb = setup_flow(app, false, json!({})).await;
    let (a, b) = (provider(app, &fa.pool), provider(app, &fb.pool));
    let pool = create_identity_pool(
        app,
        json!({"AllowUnauthenticatedIdentities": guests, "CognitoIdentityProviders": [
            {"ProviderName": a, "ClientId": fa.client_id}, {"ProviderName": b, "ClientId": fb.client_id}]}),
    )
    .await;
    let token_a = id_token(app, &fa.client_id, "alice").await;
    let token_b = id_token(app, &fb.client_id, "alice").await;
    TwoPools { pool, a, b, token_a, token_b }
}

#[tokio::test]
async fn concurrent_merges_settle_on_one_identity() {
    let app = TestApp::spawn().await;
    let t = two_pools(&app, false).await;
    let x = get_id_ok(&app, &t.pool, json!({t.a.clone(): t.token_a})).await;
    app.clock.advance_secs(1);
    let y = get_id_ok(&app, &t.pool, json!({t.b.clone(): t.token_b})).await;
    assert_ne!(x, y);
    let req = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityService.GetId")
        .body(
            json!({"IdentityPoolId": t.pool, "Logins": {t.a.clone(): t.token_a, t.b.clone(): t.token_b}}).to_string(),
        );
    let answers = all_at_once(req, 6).await;
    assert!(answers.iter().all(|(status, v)| *status == 200 && v["IdentityId"] == json!(x)), "{answers:?}");
    let live = app
        .identity_ok("ListIdentities", json!({"IdentityPoolId": t.pool, "MaxResults": 10, "HideDisabled": true}))
        .await;
    assert_eq!(live["Identities"].as_array().unwrap().len(), 1, "{live}");
    assert_eq!(logins_of(&app, &x).await.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn logins_of_different_identities_merge_into_the_older_one() {
    let app = TestApp::spawn().await;
    let t = two_pools(&app, true).await;
    let x = get_id_ok(&app, &t.pool, json!({t.a.clone(): t.token_a})).await;
    app.clock.advance_secs(1);
    let y = get_id_ok(&app, &t.pool, json!({t.b.clone(): t.token_b})).await;
    assert_ne!(x, y);
    let merged = get_id_ok(&app, &t.pool, json!({t.a.clone(): t.token_a, t.b.clone(): t.token_b})).await;
    assert_eq!(merged, x, "the older identity survives");
    let mut logins: Vec<String> = serde_json::from_value(logins_of(&app, &x).await).unwrap();
    logins.sort();
    let mut want = vec![t.a.clone(), t.b.clone()];
    want.sort();
    assert_eq!(logins, want);
    assert_eq!(logins_of(&app, &y).await, json!([]));
    assert_eq!(get_id_ok(&app, &t.pool, json!({t.b.clone(): t.token_b})).await, x);
    // The merged identity's id still leads to the survivor.
    let (status, v) = open_id_token(&app, &y, json!({t.b.clone(): t.token_b})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["IdentityId"], json!(x));
    let all = app.identity_ok("ListIdentities", json!({"IdentityPoolId": t.pool, "MaxResults": 60})).await;
    assert_eq!(all["Identities"].as_array().unwrap().len(), 2);
    let live = app
        .identity_ok("ListIdentities", json!({"IdentityPoolId": t.pool, "MaxResults": 60, "HideDisabled": true}))
        .await;
    assert_eq!(
        live["Identities"].as_array().unwrap().iter().map(|i| i["IdentityId"].clone()).collect::<Vec<_>>(),
        vec![json!(x)]
    );

    // A guest that signs in with a login that already has an identity merges into it.
    let guest = get_id_ok(&app, &t.pool, json!({})).await;
    let (status, v) = open_id_token(&app, &guest, json!({t.a.clone(): t.token_a})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["IdentityId"], json!(x));
    let c = claims(v["Token"].as_str().unwrap());
    assert_eq!(c["amr"][0], "authenticated");
    assert!(c["amr"].as_array().unwrap().contains(&json!(t.a)), "{c}");
    let (_, e) = open_id_token(&app, &guest, json!({})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
}

#[tokio::test]
async fn a_guest_that_signs_in_becomes_authenticated() {
    let app = TestApp::spawn().await;
    let t = two_pools(&app, true).await;
    let guest = get_id_ok(&app, &t.pool, json!({})).await;
    let (status, v) = open_id_token(&app, &guest, json!({t.a.clone(): t.token_a})).await;
    assert_eq!((status, &v["IdentityId"]), (200, &json!(guest)), "{v}");
    assert_eq!(logins_of(&app, &guest).await, json!([t.a]));
    assert_eq!(get_id_ok(&app, &t.pool, json!({t.a.clone(): t.token_a})).await, guest);
    let (_, e) = open_id_token(&app, &guest, json!({})).await;
    assert_eq!(
        e["message"],
        "Logins don't match. Please include at least one valid login for this identity or identity pool."
    );
}

#[tokio::test]
async fn a_second_user_of_the_same_provider_conflicts() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    app.create_user(&s.flow.pool, "bob", PASSWORD, json!([{"Name": "email", "Value": "bob@example.com"}])).await;
    let alice = id_token(&app, &s.flow.client_id, "alice").await;
    let bob = id_token(&app, &s.flow.client_id, "bob").await;
    let x = get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await;
    let (status, e) = open_id_token(&app, &x, json!({s.provider.clone(): bob})).await;
    assert_eq!((status, err_type(&e)), (400, "ResourceConflictException"), "{e}");
    let y = get_id_ok(&app, &s.pool, json!({s.provider.clone(): bob})).await;
    assert_ne!(x, y);
    let (_, e) = open_id_token(&app, &x, json!({s.provider.clone(): bob})).await;
    assert_eq!(err_type(&e), "ResourceConflictException", "{e}");
    assert_eq!(logins_of(&app, &x).await, json!([s.provider]));
}

#[tokio::test]
async fn unlink_identity_removes_logins_and_the_last_one_closes_the_identity() {
    let app = TestApp::spawn().await;
    let t = two_pools(&app, false).await;
    let x = get_id_ok(&app, &t.pool, json!({t.a.clone(): t.token_a, t.b.clone(): t.token_b})).await;
    let (status, e) =
        app.identity_public("UnlinkIdentity", json!({"IdentityId": x, "Logins": {}, "LoginsToRemove": [t.b]})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let (status, v) = app
        .identity_public(
            "UnlinkIdentity",
            json!({"IdentityId": x, "Logins": {t.a.clone(): t.token_a}, "LoginsToRemove": [t.b]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(logins_of(&app, &x).await, json!([t.a]));
    // The unlinked login is new again.
    let y = get_id_ok(&app, &t.pool, json!({t.b.clone(): t.token_b})).await;
    assert_ne!(x, y);
    // Logins not linked to the identity prove nothing.
    let (_, e) = app
        .identity_public(
            "UnlinkIdentity",
            json!({"IdentityId": x, "Logins": {t.b.clone(): t.token_b}, "LoginsToRemove": [t.a]}),
        )
        .await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
    // Removing the last login makes the identity inaccessible.
    app.identity_public(
        "UnlinkIdentity",
        json!({"IdentityId": x, "Logins": {t.a.clone(): t.token_a}, "LoginsToRemove": [t.a]}),
    )
    .await;
    assert_eq!(logins_of(&app, &x).await, json!([]));
    let (_, e) = open_id_token(&app, &x, json!({t.a.clone(): t.token_a})).await;
    assert_eq!(
        (err_type(&e), e["message"].as_str()),
        ("NotAuthorizedException", Some(format!("Access to Identity '{x}' is forbidden.").as_str()))
    );
    let live = app
        .identity_ok("ListIdentities", json!({"IdentityPoolId": t.pool, "MaxResults": 10, "HideDisabled": true}))
        .await;
    assert_eq!(live["Identities"].as_array().unwrap().len(), 1, "{live}");
}

#[tokio::test]
async fn an_openid_connect_login_and_a_user_pool_login_share_one_identity() {
    use crate::fake_idp::FakeOidc;
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    let issuer = fake.issuer().trim_start_matches("http://").to_string();
    let s = setup(&app, json!({"SupportedLoginProviders": {issuer.clone(): fake.client_id()}})).await;
    let oidc = crate::identity_logins::fake_id_token(&fake).await;
    let alice = id_token(&app, &s.flow.client_id, "alice").await;
    let x = get_id_ok(&app, &s.pool, json!({issuer.clone(): oidc})).await;
    assert_eq!(get_id_ok(&app, &s.pool, json!({issuer.clone(): oidc, s.provider.clone(): alice})).await, x);
    let mut logins: Vec<String> = serde_json::from_value(logins_of(&app, &x).await).unwrap();
    logins.sort();
    let mut want = vec![issuer.clone(), s.provider.clone()];
    want.sort();
    assert_eq!(logins, want);
    let (_, v) = open_id_token(&app, &x, json!({issuer.clone(): oidc})).await;
    let amr = claims(v["Token"].as_str().expect("token"))["amr"].clone();
    let sub = fake.user()["sub"].as_str().unwrap().to_string();
    assert_eq!(amr, json!(["authenticated", issuer, format!("{issuer}:{sub}")]));

    // Role mapping rules see the provider's claims, keyed by its issuer.
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": AUTH_ROLE}, "RoleMappings": {issuer.clone(): {
            "Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
                {"Claim": "email", "MatchType": "Equals", "Value": "someone-else@example.com", "RoleARN": AUTH_ROLE}]}}}}),
    )
    .await;
    let (status, e) = app
        .identity_public("GetCredentialsForIdentity", json!({"IdentityId": x, "Logins": {issuer.clone(): oidc}}))
        .await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    assert_eq!(e["message"], format!("The ambiguous role mapping rules for: {issuer} denied this request."));
}
