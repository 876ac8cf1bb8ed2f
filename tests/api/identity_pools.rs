//! Identity pools through the JSON API (`AWSCognitoIdentityService.*`): pool management, roles
//! and tags; guests; GetId with real user-pool ID tokens (both key forms, idempotent, race-safe);
//! linking, merging and unlinking; the developer flow; role mapping; credentials verified
//! through STS GetCallerIdentity.

use crate::helpers::*;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{Value, json};
use std::time::SystemTime;

const AUTH_ROLE: &str = "arn:aws:iam::000000000000:role/auth";
const GUEST_ROLE: &str = "arn:aws:iam::000000000000:role/guest";

/// The tests use the basic flow's GetOpenIdToken as well as the enhanced flow, so their pools
/// allow it unless `extra` says otherwise.
async fn create_identity_pool(app: &TestApp, extra: Value) -> String {
    let mut body = json!({"IdentityPoolName": "test identity pool", "AllowUnauthenticatedIdentities": false,
                          "AllowClassicFlow": true});
    merge(&mut body, extra);
    let v = app.identity_ok("CreateIdentityPool", body).await;
    v["IdentityPoolId"].as_str().expect("identity pool id").to_string()
}

/// The login key of a user pool in this server's own form: `{host:port}/{poolId}`.
fn provider(app: &TestApp, user_pool: &str) -> String {
    format!("127.0.0.1:{}/{user_pool}", app.port)
}

/// The login key SDKs build: `cognito-idp.{region}.amazonaws.com/{poolId}`.
fn aws_provider(user_pool: &str) -> String {
    format!("cognito-idp.local.amazonaws.com/{user_pool}")
}

async fn id_token(app: &TestApp, client_id: &str, username: &str) -> String {
    let (status, v) = initiate_auth(app, client_id, username, PASSWORD).await;
    assert_eq!(status, 200, "sign-in failed: {v}");
    v["AuthenticationResult"]["IdToken"].as_str().expect("id token").to_string()
}

/// A user pool with alice (and a client without secret) behind an identity pool.
struct Setup {
    flow: Flow,
    pool: String,
    provider: String,
}

async fn setup(app: &TestApp, identity_extra: Value) -> Setup {
    let flow = setup_flow(app, false, json!({})).await;
    let provider = provider(app, &flow.pool);
    let mut extra = json!({"CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id}]});
    merge(&mut extra, identity_extra);
    let pool = create_identity_pool(app, extra).await;
    Setup { flow, pool, provider }
}

async fn get_id(app: &TestApp, pool: &str, logins: Value) -> (u16, Value) {
    app.identity_public("GetId", json!({"IdentityPoolId": pool, "Logins": logins})).await
}

async fn get_id_ok(app: &TestApp, pool: &str, logins: Value) -> String {
    let (status, v) = get_id(app, pool, logins).await;
    assert_eq!(status, 200, "GetId failed: {v}");
    v["IdentityId"].as_str().expect("identity id").to_string()
}

async fn open_id_token(app: &TestApp, identity: &str, logins: Value) -> (u16, Value) {
    app.identity_public("GetOpenIdToken", json!({"IdentityId": identity, "Logins": logins})).await
}

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or_default()
}

async fn logins_of(app: &TestApp, identity: &str) -> Value {
    app.identity_ok("DescribeIdentity", json!({"IdentityId": identity})).await["Logins"].clone()
}

#[tokio::test]
async fn identity_pools_are_created_described_listed_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let up = provider(&app, &flow.pool);
    let created = app
        .identity_ok(
            "CreateIdentityPool",
            json!({
                "IdentityPoolName": "my pool", "AllowUnauthenticatedIdentities": true, "AllowClassicFlow": true,
                "SupportedLoginProviders": {"accounts.google.com": "google-client.apps.example"},
                "DeveloperProviderName": "login.example",
                "CognitoIdentityProviders": [{"ProviderName": up, "ClientId": flow.client_id, "ServerSideTokenCheck": true}],
                "IdentityPoolTags": {"team": "blue"},
            }),
        )
        .await;
    let id = created["IdentityPoolId"].as_str().unwrap().to_string();
    assert!(id.starts_with("local:") && id.len() == "local:".len() + 36, "{id}");
    assert_eq!(created["IdentityPoolName"], "my pool");
    assert_eq!(created["AllowClassicFlow"], true);
    assert_eq!(created["CognitoIdentityProviders"][0]["ServerSideTokenCheck"], true);
    assert_eq!(created["IdentityPoolTags"], json!({"team": "blue"}));
    let described = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!(described, created);

    // Paging, one at a time.
    let second = create_identity_pool(&app, json!({})).await;
    let page1 = app.identity_ok("ListIdentityPools", json!({"MaxResults": 1})).await;
    assert_eq!(page1["IdentityPools"].as_array().unwrap().len(), 1);
    let token = page1["NextToken"].as_str().expect("next token");
    let page2 = app.identity_ok("ListIdentityPools", json!({"MaxResults": 1, "NextToken": token})).await;
    let mut seen =
        vec![page1["IdentityPools"][0]["IdentityPoolId"].clone(), page2["IdentityPools"][0]["IdentityPoolId"].clone()];
    seen.sort_by_key(|v| v.to_string());
    let mut want = vec![json!(id), json!(second)];
    want.sort_by_key(|v| v.to_string());
    assert_eq!(seen, want);
    assert!(page2.get("NextToken").is_none(), "{page2}");
    assert_eq!(
        page2["IdentityPools"][0]["IdentityPoolName"],
        if page2["IdentityPools"][0]["IdentityPoolId"] == id { "my pool" } else { "test identity pool" }
    );

    // Update replaces the document; the developer provider stays; tags stay unless given.
    let updated = app
        .identity_ok(
            "UpdateIdentityPool",
            json!({"IdentityPoolId": id, "IdentityPoolName": "renamed", "AllowUnauthenticatedIdentities": false}),
        )
        .await;
    assert_eq!(updated["IdentityPoolName"], "renamed");
    assert_eq!(updated["AllowClassicFlow"], false);
    assert_eq!(updated["SupportedLoginProviders"], json!({}));
    assert_eq!(updated["CognitoIdentityProviders"], json!([]));
    assert_eq!(updated["DeveloperProviderName"], "login.example");
    assert_eq!(updated["IdentityPoolTags"], json!({"team": "blue"}));
    let (status, e) = app
        .identity_api("UpdateIdentityPool", json!({"IdentityPoolId": id, "IdentityPoolName": "renamed", "AllowUnauthenticatedIdentities": false, "DeveloperProviderName": "other.example"}))
        .await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");

    app.identity_ok("DeleteIdentityPool", json!({"IdentityPoolId": id})).await;
    let (status, e) = app.identity_api("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!((status, err_type(&e)), (400, "ResourceNotFoundException"));
    assert_eq!(e["message"], format!("IdentityPool '{id}' not found."));
    let (_, e) = app.identity_api("DeleteIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn identity_pool_input_is_validated_like_cognito() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let bad = |body: Value| {
        let app = &app;
        async move {
            let (status, e) = app.identity_api("CreateIdentityPool", body).await;
            assert_eq!(status, 400, "{e}");
            e
        }
    };
    let e = bad(json!({"IdentityPoolName": "no/slash", "AllowUnauthenticatedIdentities": false})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    assert!(
        e["message"].as_str().unwrap().starts_with("1 validation error detected: Value at 'identityPoolName'"),
        "{e}"
    );
    let e = bad(json!({"IdentityPoolName": "p"})).await;
    assert!(e["message"].as_str().unwrap().contains("Value null at 'allowUnauthenticatedIdentities'"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": "yes"})).await;
    assert_eq!(err_type(&e), "SerializationException");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "SupportedLoginProviders": {"https://login.example.com": "x"}})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "SupportedLoginProviders": {aws_provider(&flow.pool): "x"}})).await;
    assert!(e["message"].as_str().unwrap().contains("user pools go in CognitoIdentityProviders"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false,
                       "CognitoIdentityProviders": [{"ProviderName": aws_provider(&flow.pool), "ClientId": "nosuchclient"}]})).await;
    assert!(e["message"].as_str().unwrap().contains("has no app client nosuchclient"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false,
                       "CognitoIdentityProviders": [{"ProviderName": "evil.example.com/local_abc", "ClientId": flow.client_id}]})).await;
    assert!(e["message"].as_str().unwrap().contains("Invalid Cognito identity provider name"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "OpenIdConnectProviderARNs": ["arn:aws:iam::123:oidc/x"]})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "DeveloperProviderName": "cognito-identity.amazonaws.com"})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (status, e) = app.identity_api("ListIdentityPools", json!({"MaxResults": 0})).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"));
    let (status, e) = app.identity_api("NoSuchAction", json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "UnknownOperationException"));

    // Management actions are signed; unsigned ones are refused before anything else.
    let (status, e) = app
        .identity_public("CreateIdentityPool", json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": true}))
        .await;
    assert_eq!((status, err_type(&e)), (403, "MissingAuthenticationTokenException"));
    let (status, e) = app
        .json_signed(
            "AWSCognitoIdentityService.ListIdentityPools",
            "cognito-identity",
            json!({"MaxResults": 5}),
            ACCESS_KEY,
            "wrong-secret",
            SystemTime::now(),
        )
        .await;
    assert_eq!((status, err_type(&e)), (400, "InvalidSignatureException"));
    // An OpenID Connect issuer by host and path takes its client id here.
    create_identity_pool(&app, json!({"SupportedLoginProviders": {"login.example.com/realms/x": "client-1"}})).await;
    // Either form of a user pool's name is accepted.
    create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": aws_provider(&flow.pool), "ClientId": flow.client_id}]}),
    )
    .await;
}

#[tokio::test]
async fn roles_and_role_mappings_are_checked_and_returned() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"SupportedLoginProviders": {"graph.facebook.com": "1234567890"}})).await;
    let key = format!("{}:{}", s.provider, s.flow.client_id);
    let empty = app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": s.pool})).await;
    assert_eq!(empty, json!({"IdentityPoolId": s.pool, "Roles": {}}));
    let mappings = json!({
        key.clone(): {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
            {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "admins", "RoleARN": "arn:aws:iam::000000000000:role/admin"}]}},
        "graph.facebook.com": {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"},
    });
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": AUTH_ROLE, "unauthenticated": GUEST_ROLE}, "RoleMappings": mappings}),
    )
    .await;
    let got = app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": s.pool})).await;
    assert_eq!(
        got,
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": AUTH_ROLE, "unauthenticated": GUEST_ROLE}, "RoleMappings": mappings})
    );

    let refused = |body: Value| {
        let app = &app;
        let pool = s.pool.clone();
        async move {
            let mut b = json!({"IdentityPoolId": pool, "Roles": {"authenticated": AUTH_ROLE}});
            merge(&mut b, body);
            let (status, e) = app.identity_api("SetIdentityPoolRoles", b).await;
            assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
            e["message"].as_str().unwrap_or_default().to_string()
        }
    };
    assert!(
        refused(json!({"Roles": {"authenticated": "arn:aws:iam::12345:role/short-account"}}))
            .await
            .contains("Invalid authenticated role ARN")
    );
    assert!(refused(json!({"Roles": {"admin": AUTH_ROLE}})).await.contains("Map keys must satisfy constraint"));
    assert!(
        refused(json!({"RoleMappings": {"accounts.google.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}}))
            .await
            .contains("not a login provider")
    );
    assert!(
        refused(json!({"RoleMappings": {s.provider.clone(): {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}}))
            .await
            .contains("not a login provider")
    );
    assert!(
        refused(json!({"RoleMappings": {key.clone(): {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}}}))
            .await
            .contains("RulesConfiguration is required")
    );
    assert!(
        refused(json!({"RoleMappings": {key.clone(): {"Type": "Token"}}})).await.contains("AmbiguousRoleResolution")
    );
    assert!(refused(json!({"RoleMappings": {key.clone(): {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
        {"Claim": "a", "MatchType": "Like", "Value": "b", "RoleARN": AUTH_ROLE}]}}}})).await.contains("Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]"));
    let (_, e) = app
        .identity_api(
            "SetIdentityPoolRoles",
            json!({"IdentityPoolId": "local:00000000-0000-0000-0000-000000000000", "Roles": {}}),
        )
        .await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn identity_pools_take_tags() {
    let app = TestApp::spawn().await;
    let pool = create_identity_pool(&app, json!({"IdentityPoolTags": {"a": "1"}})).await;
    let arn = format!("arn:aws:cognito-identity:local:000000000000:identitypool/{pool}");
    app.identity_ok("TagResource", json!({"ResourceArn": arn, "Tags": {"b": "2", "a": "one"}})).await;
    let tags = app.identity_ok("ListTagsForResource", json!({"ResourceArn": arn})).await;
    assert_eq!(tags["Tags"], json!({"a": "one", "b": "2"}));
    app.identity_ok("UntagResource", json!({"ResourceArn": arn, "TagKeys": ["a"]})).await;
    let described = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": pool})).await;
    assert_eq!(described["IdentityPoolTags"], json!({"b": "2"}));
    let missing = "arn:aws:cognito-identity:local:000000000000:identitypool/local:00000000-0000-0000-0000-000000000000";
    let (_, e) = app.identity_api("ListTagsForResource", json!({"ResourceArn": missing})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let (_, e) = app.identity_api("TagResource", json!({"ResourceArn": arn, "Tags": {"aws:x": "y"}})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
}

#[tokio::test]
async fn guests_get_identities_only_where_the_pool_allows_them() {
    let app = TestApp::spawn().await;
    let open = create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let closed = create_identity_pool(&app, json!({})).await;
    let a = get_id_ok(&app, &open, json!({})).await;
    let (status, v) = app.identity_public("GetId", json!({"IdentityPoolId": open})).await;
    assert_eq!(status, 200);
    assert_ne!(v["IdentityId"], json!(a), "every guest call makes a new identity");

    let (status, e) = get_id(&app, &closed, json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"));
    assert_eq!(e["message"], "Unauthenticated access is not supported for this identity pool.");
    let (_, e) = get_id(&app, "local:00000000-0000-0000-0000-000000000000", json!({})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");

    // A guest's OpenID token: sub = identity, aud = pool, amr unauthenticated, 10 minutes.
    let (status, v) = open_id_token(&app, &a, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["IdentityId"], json!(a));
    let c = claims(v["Token"].as_str().unwrap());
    assert_eq!((c["sub"].as_str(), c["aud"].as_str()), (Some(a.as_str()), Some(open.as_str())));
    assert_eq!(c["amr"], json!(["unauthenticated"]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);

    // Guests lose access when the pool stops allowing them.
    app.identity_ok(
        "UpdateIdentityPool",
        json!({"IdentityPoolId": open, "IdentityPoolName": "closed now", "AllowUnauthenticatedIdentities": false}),
    )
    .await;
    let (_, e) = open_id_token(&app, &a, json!({})).await;
    assert_eq!(e["message"], "Unauthenticated access is not supported for this identity pool.");
    let (_, e) = open_id_token(&app, "local:00000000-0000-0000-0000-000000000000", json!({})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

/// GetOpenIdToken is the basic (classic) flow: refused, with Cognito's words, unless the pool
/// has `AllowClassicFlow`; turning it on lets the same identity get its token.
#[tokio::test]
async fn the_basic_flow_needs_allow_classic_flow() {
    let app = TestApp::spawn().await;
    let pool =
        create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true, "AllowClassicFlow": false})).await;
    let guest = get_id_ok(&app, &pool, json!({})).await;
    let (status, e) = open_id_token(&app, &guest, json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    assert_eq!(e["message"], "Basic (classic) flow is not enabled, please use enhanced flow.");
    app.identity_ok(
        "UpdateIdentityPool",
        json!({"IdentityPoolId": pool, "IdentityPoolName": "basic", "AllowUnauthenticatedIdentities": true,
               "AllowClassicFlow": true}),
    )
    .await;
    let (status, v) = open_id_token(&app, &guest, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["IdentityId"], json!(guest));
}

#[tokio::test]
async fn get_id_gives_one_identity_per_login_in_either_key_form() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    let id = get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await;
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await, id);
    assert_eq!(get_id_ok(&app, &s.pool, json!({aws_provider(&s.flow.pool): token})).await, id);
    let fresh = id_token(&app, &s.flow.client_id, "alice").await;
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): fresh})).await, id);
    assert_eq!(logins_of(&app, &id).await, json!([s.provider]));

    // The token's audience must be a configured client; forged, expired and Cognito tokens fail.
    let (other_client, _) = app.create_client(&s.flow.pool, false, json!({"ClientName": "other"})).await;
    let other = id_token(&app, &other_client, "alice").await;
    let (status, e) = get_id(&app, &s.pool, json!({s.provider.clone(): other})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let sig_at = token.rfind('.').unwrap() + 20;
    let flipped = if &token[sig_at..sig_at + 1] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &token[..sig_at], &token[sig_at + 1..]);
    let (_, e) = get_id(&app, &s.pool, json!({s.provider.clone(): forged})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    let (_, v) = open_id_token(&app, &id, json!({s.provider.clone(): token})).await;
    let cognito_token = v["Token"].as_str().expect("token").to_string();
    let (_, e) = get_id(&app, &s.pool, json!({"cognito-identity.amazonaws.com": cognito_token})).await;
    assert_eq!(
        (err_type(&e), e["message"].as_str()),
        ("NotAuthorizedException", Some("Invalid login token. Can't pass in a Cognito token."))
    );
    let (_, e) = get_id(&app, &s.pool, json!({"accounts.google.com": "not-configured"})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    app.clock.advance_secs(3601);
    let (_, e) = get_id(&app, &s.pool, json!({s.provider.clone(): token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
}

#[tokio::test]
async fn concurrent_get_id_with_one_login_makes_one_identity() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    let req = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityService.GetId")
        .body(json!({"IdentityPoolId": s.pool, "Logins": {s.provider.clone(): token}}).to_string());
    let answers = all_at_once(req, 8).await;
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    let first = answers[0].1["IdentityId"].clone();
    assert!(answers.iter().all(|(_, v)| v["IdentityId"] == first), "{answers:?}");
    let listed = app.identity_ok("ListIdentities", json!({"IdentityPoolId": s.pool, "MaxResults": 60})).await;
    assert_eq!(listed["Identities"].as_array().unwrap().len(), 1, "{listed}");
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
async fn developer_authenticated_identities() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"DeveloperProviderName": "login.example"})).await;
    let dev = |user: &str, extra: Value| {
        let mut body = json!({"IdentityPoolId": s.pool, "Logins": {"login.example": user}});
        merge(&mut body, extra);
        body
    };
    let first = app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({}))).await;
    let id1 = first["IdentityId"].as_str().unwrap().to_string();
    let c = claims(first["Token"].as_str().unwrap());
    assert_eq!(c["sub"], json!(id1));
    assert_eq!(c["aud"], json!(s.pool));
    assert_eq!(c["amr"], json!(["authenticated", "login.example", format!("login.example:{}:user-1", s.pool)]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    let again =
        app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({"TokenDuration": 3600}))).await;
    assert_eq!(again["IdentityId"], json!(id1));
    let c = claims(again["Token"].as_str().unwrap());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3600);

    // The developer user cannot move to another identity.
    let id2 = app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-2", json!({}))).await["IdentityId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(id1, id2);
    let (status, e) =
        app.identity_api("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({"IdentityId": id2}))).await;
    assert_eq!((status, err_type(&e)), (400, "DeveloperUserAlreadyRegisteredException"), "{e}");
    // A user-pool login joins the developer identity.
    let alice = id_token(&app, &s.flow.client_id, "alice").await;
    let linked = app
        .identity_ok("GetOpenIdTokenForDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id2, "Logins": {"login.example": "user-2", s.provider.clone(): alice}}))
        .await;
    assert_eq!(linked["IdentityId"], json!(id2));
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await, id2);

    // Lookup both ways, and a mismatch.
    let by_user = app
        .identity_ok(
            "LookupDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "DeveloperUserIdentifier": "user-1", "MaxResults": 10}),
        )
        .await;
    assert_eq!(by_user["IdentityId"], json!(id1));
    assert_eq!(by_user["DeveloperUserIdentifierList"], json!(["user-1"]));
    let (_, e) = app
        .identity_api(
            "LookupDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "IdentityId": id2, "DeveloperUserIdentifier": "user-1"}),
        )
        .await;
    assert_eq!(err_type(&e), "ResourceConflictException");
    let (_, e) = app
        .identity_api("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "DeveloperUserIdentifier": "nobody"}))
        .await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let (_, e) = app.identity_api("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");

    // Merge user-2's identity into user-1's; lookup pages through both users.
    let merged = app
        .identity_ok("MergeDeveloperIdentities", json!({"IdentityPoolId": s.pool, "DeveloperProviderName": "login.example", "SourceUserIdentifier": "user-2", "DestinationUserIdentifier": "user-1"}))
        .await;
    assert_eq!(merged["IdentityId"], json!(id1));
    let page1 = app
        .identity_ok("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id1, "MaxResults": 1}))
        .await;
    assert_eq!(page1["DeveloperUserIdentifierList"], json!(["user-1"]));
    let page2 = app
        .identity_ok(
            "LookupDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "IdentityId": id1, "MaxResults": 1, "NextToken": page1["NextToken"]}),
        )
        .await;
    assert_eq!(page2["DeveloperUserIdentifierList"], json!(["user-2"]));
    assert!(page2.get("NextToken").is_none());
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await, id1, "alice moved with the merge");
    let (_, e) = app
        .identity_api("MergeDeveloperIdentities", json!({"IdentityPoolId": s.pool, "DeveloperProviderName": "other.example", "SourceUserIdentifier": "user-2", "DestinationUserIdentifier": "user-1"}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");

    // Unlink: only from the identity it belongs to.
    let (_, e) = app
        .identity_api("UnlinkDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id2, "DeveloperProviderName": "login.example", "DeveloperUserIdentifier": "user-2"}))
        .await;
    assert_eq!(err_type(&e), "ResourceConflictException");
    app.identity_ok("UnlinkDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id1, "DeveloperProviderName": "login.example", "DeveloperUserIdentifier": "user-2"}))
        .await;
    let after = app.identity_ok("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id1})).await;
    assert_eq!(after["DeveloperUserIdentifierList"], json!(["user-1"]));

    // The developer's token proves the identity to the unsigned calls.
    let token = app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({}))).await["Token"].clone();
    let (status, v) = open_id_token(&app, &id1, json!({"cognito-identity.amazonaws.com": token})).await;
    assert_eq!(status, 200, "{v}");
    assert!(claims(v["Token"].as_str().unwrap())["amr"].as_array().unwrap().contains(&json!("login.example")));
    // (id2 now lives in id1, so the token works for it too; not for another identity.)
    let (_, v) = open_id_token(&app, &id2, json!({"cognito-identity.amazonaws.com": token})).await;
    assert_eq!(v["IdentityId"], json!(id1));
    let id3 =
        app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-3", json!({}))).await["IdentityId"].clone();
    let (_, e) = open_id_token(&app, id3.as_str().unwrap(), json!({"cognito-identity.amazonaws.com": token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");

    // Signed only; the developer provider must be in the logins and only there.
    let (status, e) = app.identity_public("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({}))).await;
    assert_eq!((status, err_type(&e)), (403, "MissingAuthenticationTokenException"));
    let (_, e) = app
        .identity_api(
            "GetOpenIdTokenForDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "Logins": {s.provider.clone(): alice}}),
        )
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (_, e) = get_id(&app, &s.pool, json!({"login.example": "user-1"})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
    let (_, e) =
        app.identity_api("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({"TokenDuration": 86401}))).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
}

#[tokio::test]
async fn identities_are_described_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let pool = create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(get_id_ok(&app, &pool, json!({})).await);
    }
    let d = app.identity_ok("DescribeIdentity", json!({"IdentityId": ids[0]})).await;
    assert_eq!(d["IdentityId"], json!(ids[0]));
    assert_eq!(d["Logins"], json!([]));
    assert!(d["CreationDate"].is_number() && d["LastModifiedDate"].is_number(), "{d}");
    let mut listed = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut body = json!({"IdentityPoolId": pool, "MaxResults": 2});
        if let Some(n) = &next {
            body["NextToken"] = json!(n);
        }
        let page = app.identity_ok("ListIdentities", body).await;
        assert_eq!(page["IdentityPoolId"], json!(pool));
        listed.extend(
            page["Identities"].as_array().unwrap().iter().map(|i| i["IdentityId"].as_str().unwrap().to_string()),
        );
        match page["NextToken"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => break,
        }
    }
    let mut want = ids.clone();
    want.sort();
    listed.sort();
    assert_eq!(listed, want);
    let (_, e) = app
        .identity_api("ListIdentities", json!({"IdentityPoolId": pool, "MaxResults": 2, "NextToken": "garbage!"}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");

    let gone = "local:00000000-0000-0000-0000-000000000000";
    let del = app.identity_ok("DeleteIdentities", json!({"IdentityIdsToDelete": [ids[0], gone]})).await;
    assert_eq!(del["UnprocessedIdentityIds"], json!([]));
    let (status, e) = app.identity_api("DescribeIdentity", json!({"IdentityId": ids[0]})).await;
    assert_eq!((status, err_type(&e)), (400, "ResourceNotFoundException"));
    assert_eq!(e["message"], format!("Identity '{}' not found.", ids[0]));
    let (_, e) = app.identity_api("DeleteIdentities", json!({"IdentityIdsToDelete": []})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    // Deleting the pool deletes its identities.
    app.identity_ok("DeleteIdentityPool", json!({"IdentityPoolId": pool})).await;
    let (_, e) = app.identity_api("DescribeIdentity", json!({"IdentityId": ids[1]})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn credentials_need_a_role_and_deny_denies() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let key = format!("{}:{}", s.provider, s.flow.client_id);
    let alice = id_token(&app, &s.flow.client_id, "alice").await;
    let guest = get_id_ok(&app, &s.pool, json!({})).await;
    let user = get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await;
    let creds = |id: &str, logins: Value, extra: Value| {
        let mut body = json!({"IdentityId": id, "Logins": logins});
        merge(&mut body, extra);
        app.identity_public("GetCredentialsForIdentity", body)
    };
    // No roles yet.
    let (status, e) = creds(&guest, json!({}), json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidIdentityPoolConfigurationException"), "{e}");
    assert_eq!(e["message"], "Invalid identity pool configuration. Check assigned IAM roles for this pool.");
    let (_, e) = creds(&user, json!({s.provider.clone(): alice}), json!({})).await;
    assert_eq!(err_type(&e), "InvalidIdentityPoolConfigurationException", "{e}");
    // Token mapping, Deny, and alice has no roles in her token.
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": AUTH_ROLE},
               "RoleMappings": {key.clone(): {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}}),
    )
    .await;
    let (status, e) = creds(&user, json!({s.provider.clone(): alice}), json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    assert_eq!(e["message"], format!("The ambiguous role mapping rules for: {key} denied this request."));
    // A CustomRoleArn that is not one of the token's roles is refused.
    let (_, e) = creds(&user, json!({s.provider.clone(): alice}), json!({"CustomRoleArn": AUTH_ROLE})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    // Guests without logins, and users without theirs.
    let (_, e) = creds(&user, json!({}), json!({})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
    let (_, e) = creds("local:00000000-0000-0000-0000-000000000000", json!({}), json!({})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

// ---- Credentials through IAM roles and STS (Part C of the identity-pools contract) ----------

/// A Query-protocol call (IAM or STS), SigV4-signed for `service` with the given keys.
async fn query(
    app: &TestApp,
    service: &str,
    params: &[(&str, &str)],
    key: &str,
    secret: &str,
    token: Option<&str>,
) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let host = format!("127.0.0.1:{}", app.port);
    let headers = [("content-type", "application/x-www-form-urlencoded; charset=utf-8"), ("host", host.as_str())];
    let identity: Identity = Credentials::new(key, secret, token.map(str::to_string), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        // The server's clock, which tests move forward.
        .time(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(app.services.clock.now_millis() as u64))
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let signable = SignableRequest::new("POST", "/", headers.iter().copied(), SignableBody::Bytes(body.as_bytes()))
        .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut req = app.http.post(format!("{}/", app.base)).body(body.clone()).header("content-type", headers[0].1);
    for (k, v) in instructions.headers() {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("send");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

fn xml_field(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{name}> in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{name}>")).expect("closing tag") + start;
    xml[start..end].to_string()
}

/// Create a role trusting `pool` for identities whose `amr` matches `amr`; its ARN.
async fn create_role(app: &TestApp, name: &str, pool: &str, amr: &str) -> String {
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}}]})
    .to_string();
    let (status, xml) = query(
        app,
        "iam",
        &[
            ("Action", "CreateRole"),
            ("Version", "2010-05-08"),
            ("RoleName", name),
            ("AssumeRolePolicyDocument", &trust),
        ],
        ACCESS_KEY,
        SECRET_KEY,
        None,
    )
    .await;
    assert_eq!(status, 200, "CreateRole failed: {xml}");
    xml_field(&xml, "Arn")
}

/// STS GetCallerIdentity signed with the credentials of a GetCredentialsForIdentity answer.
async fn caller_identity(app: &TestApp, c: &Value) -> (u16, String) {
    query(
        app,
        "sts",
        &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretKey"].as_str().unwrap(),
        c["SessionToken"].as_str(),
    )
    .await
}

/// GetCredentialsForIdentity, then STS GetCallerIdentity with the credentials: the caller's ARN.
async fn caller_with_credentials(
    app: &TestApp,
    identity: &str,
    logins: Value,
    custom: Option<&str>,
) -> Result<String, Value> {
    let mut body = json!({"IdentityId": identity, "Logins": logins});
    if let Some(c) = custom {
        body["CustomRoleArn"] = json!(c);
    }
    let (status, v) = app.identity_public("GetCredentialsForIdentity", body).await;
    if status != 200 {
        return Err(v);
    }
    let c = &v["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{v}");
    let expires = c["Expiration"].as_i64().expect("Expiration in epoch seconds");
    assert!((expires - app.services.now() - 3600).abs() <= 5, "{v}");
    let (status, xml) = caller_identity(app, c).await;
    assert_eq!(status, 200, "GetCallerIdentity failed: {xml}");
    Ok(xml_field(&xml, "Arn"))
}

fn assumed(role: &str) -> String {
    format!("arn:aws:sts::000000000000:assumed-role/{role}/CognitoIdentityCredentials")
}

#[tokio::test]
async fn guests_and_users_get_credentials_for_the_pool_roles() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let auth = create_role(&app, "auth", &s.pool, "authenticated").await;
    let guest_role = create_role(&app, "guest", &s.pool, "unauthenticated").await;
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": auth, "unauthenticated": guest_role}}),
    )
    .await;
    let guest = get_id_ok(&app, &s.pool, json!({})).await;
    assert_eq!(caller_with_credentials(&app, &guest, json!({}), None).await, Ok(assumed("guest")));
    let (_, guest_credentials) = app.identity_public("GetCredentialsForIdentity", json!({"IdentityId": guest})).await;
    let alice = id_token(&app, &s.flow.client_id, "alice").await;
    let user = get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await;
    assert_eq!(
        caller_with_credentials(&app, &user, json!({s.provider.clone(): alice}), None).await,
        Ok(assumed("auth"))
    );
    // A role that does not trust this pool yields no credentials.
    let other = create_role(&app, "elsewhere", "local:00000000-0000-0000-0000-000000000000", "authenticated").await;
    app.identity_ok("SetIdentityPoolRoles", json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": other}})).await;
    let e = caller_with_credentials(&app, &user, json!({s.provider.clone(): alice}), None).await.unwrap_err();
    assert_eq!(err_type(&e), "InvalidIdentityPoolConfigurationException", "{e}");
    // The credentials last an hour.
    app.clock.advance_secs(3601);
    let (status, xml) = caller_identity(&app, &guest_credentials["Credentials"]).await;
    assert_eq!((status, xml_field(&xml, "Code")), (403, "ExpiredToken".to_string()), "{xml}");
}

#[tokio::test]
async fn role_mapping_rules_are_tried_in_order() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let key = format!("{}:{}", s.provider, s.flow.client_id);
    app.create_user(&s.flow.pool, "bob", PASSWORD, json!([{"Name": "email", "Value": "bob@example.com"}])).await;
    app.create_user(&s.flow.pool, "carol", PASSWORD, json!([{"Name": "email", "Value": "carol@example.org"}])).await;
    app.ok("CreateGroup", json!({"UserPoolId": s.flow.pool, "GroupName": "admins"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": s.flow.pool, "Username": "alice", "GroupName": "admins"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": s.flow.pool, "Username": "bob", "GroupName": "admins"})).await;
    let auth = create_role(&app, "auth", &s.pool, "authenticated").await;
    let admin = create_role(&app, "admin", &s.pool, "authenticated").await;
    let example = create_role(&app, "example", &s.pool, "authenticated").await;
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": auth}, "RoleMappings": {key: {
            "Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole", "RulesConfiguration": {"Rules": [
                {"Claim": "email", "MatchType": "StartsWith", "Value": "alice", "RoleARN": example},
                {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "admins", "RoleARN": admin},
                {"Claim": "email", "MatchType": "Contains", "Value": "@example.com", "RoleARN": example}]}}}}),
    )
    .await;
    for (user, role) in [("alice", "example"), ("bob", "admin"), ("carol", "auth")] {
        let token = id_token(&app, &s.flow.client_id, user).await;
        let id = get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await;
        assert_eq!(
            caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), None).await,
            Ok(assumed(role)),
            "{user}"
        );
    }
    // Deny when no rule matches.
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": auth}, "RoleMappings": {format!("{}:{}", s.provider, s.flow.client_id): {
            "Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
                {"Claim": "department", "MatchType": "NotEqual", "Value": "sales", "RoleARN": admin}]}}}}),
    )
    .await;
    let token = id_token(&app, &s.flow.client_id, "carol").await;
    let id = get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await;
    let e = caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), None).await.unwrap_err();
    assert_eq!(err_type(&e), "NotAuthorizedException", "NotEqual skips a missing claim: {e}");
}

#[tokio::test]
async fn token_role_mapping_uses_the_preferred_role_and_resolves_ambiguity_both_ways() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let key = format!("{}:{}", s.provider, s.flow.client_id);
    let auth = create_role(&app, "auth", &s.pool, "authenticated").await;
    let reader = create_role(&app, "reader", &s.pool, "authenticated").await;
    let writer = create_role(&app, "writer", &s.pool, "authenticated").await;
    let group = |name: &str, role: &str, precedence: i64| {
        app.ok(
            "CreateGroup",
            json!({"UserPoolId": s.flow.pool, "GroupName": name, "RoleArn": role, "Precedence": precedence}),
        )
    };
    group("readers", &reader, 1).await;
    group("writers", &writer, 1).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": s.flow.pool, "Username": "alice", "GroupName": "readers"}))
        .await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": s.flow.pool, "Username": "alice", "GroupName": "writers"}))
        .await;
    let set = |resolution: &str| {
        app.identity_ok(
            "SetIdentityPoolRoles",
            json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": auth},
                   "RoleMappings": {key.clone(): {"Type": "Token", "AmbiguousRoleResolution": resolution}}}),
        )
    };
    // Two roles at the same precedence: no preferred role, so the mapping is ambiguous.
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    assert!(claims(&token).get("cognito:preferred_role").is_none());
    let id = get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await;
    set("AuthenticatedRole").await;
    assert_eq!(caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), None).await, Ok(assumed("auth")));
    set("Deny").await;
    let e = caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), None).await.unwrap_err();
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    // CustomRoleArn picks one of the token's roles, and only those.
    assert_eq!(
        caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), Some(&writer)).await,
        Ok(assumed("writer"))
    );
    let e = caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), Some(&auth)).await.unwrap_err();
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    // A better precedence makes a preferred role.
    app.ok(
        "UpdateGroup",
        json!({"UserPoolId": s.flow.pool, "GroupName": "readers", "RoleArn": reader, "Precedence": 0}),
    )
    .await;
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    assert_eq!(claims(&token)["cognito:preferred_role"], json!(reader));
    assert_eq!(
        caller_with_credentials(&app, &id, json!({s.provider.clone(): token}), None).await,
        Ok(assumed("reader"))
    );
}

// ---- boto3 --------------------------------------------------------------------------------

/// Operations `tests/boto3/identity.py` must complete with HTTP 200.
const BOTO3_OPERATIONS: &[&str] = &[
    "CreateIdentityPool",
    "DescribeIdentityPool",
    "ListIdentityPools",
    "UpdateIdentityPool",
    "DeleteIdentityPool",
    "SetIdentityPoolRoles",
    "GetIdentityPoolRoles",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "GetId",
    "GetOpenIdToken",
    "UnlinkIdentity",
    "DescribeIdentity",
    "ListIdentities",
    "DeleteIdentities",
    "GetOpenIdTokenForDeveloperIdentity",
    "LookupDeveloperIdentity",
    "MergeDeveloperIdentities",
    "UnlinkDeveloperIdentity",
];

/// What the model marks `smithy.api#noAuth`: boto3 sends these unsigned.
const BOTO3_UNSIGNED: &[&str] = &["GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "UnlinkIdentity"];

/// Errors boto3 must have raised (and parsed into its modeled exceptions), as (operation, code).
const BOTO3_ERRORS: &[(&str, &str)] = &[
    ("UpdateIdentityPool", "InvalidParameterException"),
    ("CreateIdentityPool", "InvalidParameterException"),
    ("DescribeIdentityPool", "ResourceNotFoundException"),
    ("SetIdentityPoolRoles", "InvalidParameterException"),
    ("GetId", "NotAuthorizedException"),
    ("GetOpenIdToken", "ResourceConflictException"),
    ("UnlinkIdentity", "NotAuthorizedException"),
    ("GetOpenIdTokenForDeveloperIdentity", "DeveloperUserAlreadyRegisteredException"),
    ("LookupDeveloperIdentity", "ResourceConflictException"),
    ("LookupDeveloperIdentity", "ResourceNotFoundException"),
    ("GetCredentialsForIdentity", "NotAuthorizedException"),
    ("GetCredentialsForIdentity", "InvalidIdentityPoolConfigurationException"),
    ("DescribeIdentity", "ResourceNotFoundException"),
    ("DeleteIdentityPool", "ResourceNotFoundException"),
];

async fn boto3_summary(app: &TestApp, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = crate::aws_sdk::run_script("identity.py", &app.base, args).await;
    assert!(ok, "boto3 identity script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let summary: Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("no JSON summary ({e}) in stdout:\n{stdout}"));
    let done: Vec<&str> =
        summary["operations"].as_array().expect("operations").iter().filter_map(Value::as_str).collect();
    let missing: Vec<&&str> = BOTO3_OPERATIONS.iter().filter(|op| !done.contains(op)).collect();
    assert!(missing.is_empty(), "operations boto3 never completed: {missing:?}\n{summary}");
    for (op, code) in BOTO3_ERRORS {
        let raised = summary["errors"][op].as_array().is_some_and(|c| c.iter().any(|c| c == code));
        assert!(raised, "boto3 never saw {code} from {op}\n{summary}");
    }
    assert_eq!(summary["server_errors"], json!([]), "5xx answers: {summary}");
    for (op, how) in summary["signing"].as_object().expect("signing") {
        let want = if BOTO3_UNSIGNED.contains(&op.as_str()) { "unsigned" } else { "sigv4" };
        assert_eq!(how, &json!([want]), "{op} sent as {how}");
    }
    summary
}

#[tokio::test]
async fn boto3_drives_the_identity_api() {
    let app = TestApp::spawn().await;
    boto3_summary(&app, &[]).await;
    let left = app.identity_ok("ListIdentityPools", json!({"MaxResults": 60})).await;
    assert_eq!(left["IdentityPools"], json!([]), "the script deletes its identity pools");
}

#[tokio::test]
async fn boto3_gets_identity_credentials_and_checks_them_with_sts() {
    let app = TestApp::spawn().await;
    let summary = boto3_summary(&app, &["--credentials"]).await;
    let done = summary["operations"].as_array().expect("operations");
    for op in ["GetCredentialsForIdentity", "CreateRole", "GetCallerIdentity"] {
        assert!(done.contains(&json!(op)), "{op} never completed\n{summary}");
    }
}

#[tokio::test]
async fn server_side_token_check_refuses_logins_of_signed_out_users() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let provider = provider(&app, &flow.pool);
    let checked = create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id, "ServerSideTokenCheck": true}]}),
    )
    .await;
    let unchecked = create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id}]}),
    )
    .await;
    let token = id_token(&app, &flow.client_id, "alice").await;
    let id = get_id_ok(&app, &checked, json!({provider.clone(): token})).await;
    app.ok("AdminUserGlobalSignOut", json!({"UserPoolId": flow.pool, "Username": "alice"})).await;
    let (status, e) = get_id(&app, &checked, json!({provider.clone(): token})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let (_, e) = open_id_token(&app, &id, json!({provider.clone(): token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    get_id_ok(&app, &unchecked, json!({provider.clone(): token})).await;
    // A new sign-in works again; a deleted user's tokens do not.
    app.clock.advance_secs(1);
    let fresh = id_token(&app, &flow.client_id, "alice").await;
    assert_eq!(get_id_ok(&app, &checked, json!({provider.clone(): fresh})).await, id);
    app.ok("AdminDeleteUser", json!({"UserPoolId": flow.pool, "Username": "alice"})).await;
    let (_, e) = get_id(&app, &checked, json!({provider.clone(): fresh})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
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

// ---- The README's walk with the AWS CLI ---------------------------------------------------

/// `aws …` against the test server with the given keys (`None` when the CLI is not installed).
async fn aws(app: &TestApp, args: &[&str], key: &str, secret: &str, token: Option<&str>) -> Option<Value> {
    if std::process::Command::new("aws").arg("--version").output().is_err() {
        assert!(std::env::var_os("PORTCULLIS_REQUIRE_AWS_CLI").is_none(), "the `aws` CLI is required");
        eprintln!("the `aws` CLI is not installed: skipping `aws {}`", args.join(" "));
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = crate::aws_sdk::isolated_command("aws", dir.path());
    cmd.args(args)
        .args(["--endpoint-url", app.base.as_str(), "--region", "us-east-1", "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_MAX_ATTEMPTS", "1");
    if let Some(t) = token {
        cmd.env("AWS_SESSION_TOKEN", t);
    }
    let (ok, stdout, stderr) = crate::aws_sdk::run_to_end(cmd, dir.path(), "aws").await;
    assert!(ok, "aws {} failed\n{stderr}", args.join(" "));
    Some(if stdout.trim().is_empty() { json!({}) } else { serde_json::from_str(&stdout).expect("JSON output") })
}

#[tokio::test]
async fn the_readme_walk_from_a_browser_sign_in_to_get_caller_identity() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let id_token = tokens_via_browser(&app, &flow).await["id_token"].as_str().unwrap().to_string();
    let provider = provider(&app, &flow.pool);
    let cli = |args: Vec<String>| {
        let app = &app;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            aws(app, &args, ACCESS_KEY, SECRET_KEY, None).await
        }
    };
    let Some(created) = cli(vec![
        "cognito-identity".into(),
        "create-identity-pool".into(),
        "--identity-pool-name".into(),
        "web".into(),
        "--no-allow-unauthenticated-identities".into(),
        "--cognito-identity-providers".into(),
        format!("ProviderName={provider},ClientId={}", flow.client_id),
    ])
    .await
    else {
        return;
    };
    let pool = created["IdentityPoolId"].as_str().unwrap().to_string();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]});
    cli(vec![
        "iam".into(),
        "create-role".into(),
        "--role-name".into(),
        "web-users".into(),
        "--assume-role-policy-document".into(),
        trust.to_string(),
    ])
    .await;
    cli(vec![
        "cognito-identity".into(),
        "set-identity-pool-roles".into(),
        "--identity-pool-id".into(),
        pool.clone(),
        "--roles".into(),
        "authenticated=arn:aws:iam::000000000000:role/web-users".into(),
    ])
    .await;
    let logins = json!({provider.clone(): id_token}).to_string();
    let id = cli(vec![
        "cognito-identity".into(),
        "get-id".into(),
        "--identity-pool-id".into(),
        pool.clone(),
        "--logins".into(),
        logins.clone(),
    ])
    .await
    .unwrap()["IdentityId"]
        .as_str()
        .unwrap()
        .to_string();
    let creds = cli(vec![
        "cognito-identity".into(),
        "get-credentials-for-identity".into(),
        "--identity-id".into(),
        id.clone(),
        "--logins".into(),
        logins,
    ])
    .await
    .unwrap();
    assert_eq!(creds["IdentityId"], json!(id));
    let c = &creds["Credentials"];
    let caller = aws(
        &app,
        &["sts", "get-caller-identity"],
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretKey"].as_str().unwrap(),
        c["SessionToken"].as_str(),
    )
    .await
    .unwrap();
    assert_eq!(caller["Arn"], "arn:aws:sts::000000000000:assumed-role/web-users/CognitoIdentityCredentials");
}
