//! Managing upstream identity providers through the signed API (Create/Describe/Update/Delete/
//! ListIdentityProviders, GetIdentityProviderByIdentifier), what clients may offer, and linking
//! upstream identities to pool users (AdminLinkProviderForUser, AdminDisableProviderForUser)
//! with the `identities` attribute that lists them.

use crate::helpers::*;
use portcullis::store::federation::UserIdentityRow;
use portcullis::store::users::UserRow;
use serde_json::{Value, json};

const GOOGLE_SECRET: &str = "g00gle-client-s3cret";

fn google(pool: &str) -> Value {
    json!({
        "UserPoolId": pool,
        "ProviderName": "Google",
        "ProviderType": "Google",
        "ProviderDetails": {"client_id": "google-client", "client_secret": GOOGLE_SECRET,
                            "authorize_scopes": "openid email profile"},
        "AttributeMapping": {"email": "email"},
        "IdpIdentifiers": ["gmail.com"],
    })
}

fn oidc(pool: &str, name: &str) -> Value {
    json!({
        "UserPoolId": pool,
        "ProviderName": name,
        "ProviderType": "OIDC",
        "ProviderDetails": {"client_id": format!("{name}-client"), "authorize_scopes": "openid email",
                            "oidc_issuer": "https://idp.example.com", "attributes_request_method": "GET"},
    })
}

/// Call `action` and insist it fails with 400: (`__type`, message).
async fn error(app: &TestApp, action: &str, body: Value) -> (String, String) {
    let (status, v) = app.api(action, body).await;
    assert_eq!(status, 400, "{action} did not fail: {v}");
    (v["__type"].as_str().unwrap_or_default().into(), v["message"].as_str().unwrap_or_default().into())
}

async fn error_type(app: &TestApp, action: &str, body: Value) -> String {
    error(app, action, body).await.0
}

/// `body` with `key` replaced (or removed when `value` is null) inside the object at `path`.
fn with(mut body: Value, path: &str, key: &str, value: Value) -> Value {
    let target = if path.is_empty() { &mut body } else { &mut body[path] };
    match (value, target.as_object_mut()) {
        (Value::Null, Some(m)) => {
            m.remove(key);
        }
        (v, Some(m)) => {
            m.insert(key.into(), v);
        }
        _ => {}
    }
    body
}

/// The user's attributes as a map.
async fn user_attributes(app: &TestApp, pool: &str, username: &str) -> serde_json::Map<String, Value> {
    let u = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": username})).await;
    u["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().into(), a["Value"].clone()))
        .collect()
}

/// The parsed `identities` attribute of a user, if any.
async fn identities(app: &TestApp, pool: &str, username: &str) -> Option<Value> {
    user_attributes(app, pool, username)
        .await
        .get("identities")
        .map(|v| serde_json::from_str(v.as_str().unwrap()).unwrap())
}

fn link(pool: &str, username: &str, provider: &str, id: &str) -> Value {
    json!({
        "UserPoolId": pool,
        "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": username},
        "SourceUser": {"ProviderName": provider, "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": id},
    })
}

fn disable(pool: &str, provider: &str, value: &str) -> Value {
    json!({"UserPoolId": pool, "User": {"ProviderName": provider, "ProviderAttributeName": "Cognito_Subject",
                                        "ProviderAttributeValue": value}})
}

/// A user made by a federated sign-in (as the sign-in flow leaves it): `{provider}_{id}`,
/// EXTERNAL_PROVIDER, its own identity linked to it.
async fn federated_user(app: &TestApp, pool: &str, provider: &str, id: &str) -> UserRow {
    let now = app.services.now();
    let username = format!("{provider}_{id}");
    let u = UserRow {
        id: uuid::Uuid::new_v4().to_string().into(),
        pool_id: pool.into(),
        username_key: username.clone(),
        username: username.into(),
        status: "EXTERNAL_PROVIDER".into(),
        enabled: true,
        password_hash: None,
        srp_verifier: None,
        password_set_at: None,
        attributes: Default::default(),
        tokens_valid_after: 0,
        created_at: now,
        updated_at: now,
    };
    app.services.store.insert_user(&u, &[], &[]).await.unwrap();
    let identity = UserIdentityRow {
        pool_id: pool.into(),
        provider_name: provider.into(),
        provider_user_id: id.into(),
        user_id: u.id.clone(),
        created_at: now,
    };
    app.services.store.insert_user_identity(&identity).await.unwrap();
    let mut u = u;
    app.services.users.refresh_identities_attribute(&mut u).await.unwrap();
    u
}

#[tokio::test]
async fn create_and_describe_show_cognito_defaults_and_the_secret_which_is_sealed_at_rest() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let created = app.ok("CreateIdentityProvider", google(&pool)).await["IdentityProvider"].clone();
    let described =
        app.ok("DescribeIdentityProvider", json!({"UserPoolId": pool, "ProviderName": "Google"})).await["IdentityProvider"]
            .clone();
    assert_eq!(created, described);
    assert_eq!(
        (described["UserPoolId"].as_str(), described["ProviderType"].as_str()),
        (Some(pool.as_str()), Some("Google"))
    );
    assert_eq!(
        described["ProviderDetails"],
        json!({
            "client_id": "google-client",
            "client_secret": GOOGLE_SECRET,
            "authorize_scopes": "openid email profile",
            "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "token_url": "https://www.googleapis.com/oauth2/v4/token",
            "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
            "oidc_issuer": "https://accounts.google.com",
            "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
            "token_request_method": "POST",
            "attributes_url_add_attributes": "true",
        })
    );
    assert_eq!(
        described["AttributeMapping"],
        json!({"email": "email", "username": "sub"}),
        "username is mapped by default"
    );
    assert_eq!(described["IdpIdentifiers"], json!(["gmail.com"]));
    assert!(described["CreationDate"].is_number() && described["LastModifiedDate"].is_number());

    // At rest: no secret among the details, and the sealed one does not contain it.
    let row = app.services.store.get_identity_provider(&pool, "Google").await.unwrap().expect("row");
    assert!(!row.details.contains_key("client_secret"), "{:?}", row.details);
    assert!(!row.details.contains_key("authorize_url"), "defaults are not stored");
    let sealed = row.secret.expect("sealed secret");
    assert!(!sealed.contains(GOOGLE_SECRET), "secret stored in clear: {sealed}");
    assert_eq!(
        app.services
            .user_pools
            .identity_provider_secret(
                &app.services.store.get_identity_provider(&pool, "Google").await.unwrap().unwrap()
            )
            .unwrap()
            .as_deref(),
        Some(GOOGLE_SECRET)
    );

    let (kind, _) = error(&app, "DescribeIdentityProvider", json!({"UserPoolId": pool, "ProviderName": "Okta"})).await;
    assert_eq!(kind, "ResourceNotFoundException");
}

#[tokio::test]
async fn facebook_defaults_follow_its_api_version_and_oidc_keeps_what_it_is_given() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let fb = app
        .ok(
            "CreateIdentityProvider",
            json!({"UserPoolId": pool, "ProviderName": "Facebook", "ProviderType": "Facebook",
                   "ProviderDetails": {"client_id": "fb", "client_secret": "fb-secret", "authorize_scopes": "public_profile,email",
                                       "api_version": "v19.0"}}),
        )
        .await["IdentityProvider"]
        .clone();
    let d = &fb["ProviderDetails"];
    assert_eq!(d["token_url"], "https://graph.facebook.com/v19.0/oauth/access_token");
    assert_eq!(d["authorize_url"], "https://www.facebook.com/v19.0/dialog/oauth");
    assert_eq!(d["token_request_method"], "GET");
    assert_eq!(fb["AttributeMapping"], json!({"username": "id"}));
    assert_eq!(fb["IdpIdentifiers"], json!([]));

    let body = with(oidc(&pool, "Okta"), "ProviderDetails", "token_endpoint_auth_method", json!("client_secret_post"));
    let body = with(body, "ProviderDetails", "jwks_uri", json!("http://127.0.0.1:9999/jwks"));
    let o = app.ok("CreateIdentityProvider", body).await["IdentityProvider"].clone();
    assert_eq!(
        o["ProviderDetails"],
        json!({"client_id": "Okta-client", "authorize_scopes": "openid email", "oidc_issuer": "https://idp.example.com",
               "attributes_request_method": "GET", "token_endpoint_auth_method": "client_secret_post",
               "jwks_uri": "http://127.0.0.1:9999/jwks"}),
        "no secret, no defaults for OIDC"
    );
    assert_eq!(o["AttributeMapping"], json!({"username": "sub"}));
}

#[tokio::test]
async fn create_refuses_what_cognito_refuses() {
    let app = TestApp::spawn().await;
    let pool =
        app.create_pool(json!({"Schema": [{"Name": "tenant", "AttributeDataType": "String", "Mutable": false}]})).await;

    for t in ["SAML", "LoginWithAmazon", "SignInWithApple"] {
        let body = json!({"UserPoolId": pool, "ProviderName": "Other", "ProviderType": t,
                          "ProviderDetails": {"client_id": "x"}});
        let (kind, msg) = error(&app, "CreateIdentityProvider", body).await;
        assert_eq!(kind, "InvalidParameterException");
        assert!(msg.contains(&format!("does not support {t}")), "{msg}");
    }
    let g = google(&pool);
    let invalid: Vec<(Value, &str)> = vec![
        (with(g.clone(), "", "ProviderName", json!("Gmail")), "named Google"),
        (with(oidc(&pool, "Cognito"), "", "ProviderType", json!("OIDC")), "reserved"),
        (oidc(&pool, "COGNITO"), "reserved"),
        (oidc(&pool, "Google"), "reserved"),
        (oidc(&pool, "facebook"), "reserved"),
        (with(g.clone(), "ProviderDetails", "colour", json!("blue")), "colour"),
        (with(g.clone(), "ProviderDetails", "client_secret", Value::Null), "client_secret is required"),
        (with(g.clone(), "ProviderDetails", "client_id", json!("")), "must not be empty"),
        (with(g.clone(), "ProviderDetails", "token_url", json!("http://tokens.example.com/t")), "https"),
        (with(g.clone(), "ProviderDetails", "authorize_scopes", json!("email profile")), "openid"),
        (with(oidc(&pool, "Okta"), "ProviderDetails", "authorize_scopes", json!("email")), "openid"),
        (with(oidc(&pool, "Okta"), "ProviderDetails", "attributes_request_method", json!("PUT")), "GET, POST"),
        (with(oidc(&pool, "Okta"), "ProviderDetails", "oidc_issuer", Value::Null), "oidc_issuer"),
        (with(oidc(&pool, "Okta"), "ProviderDetails", "oidc_issuer", json!("ftp://idp.example.com")), "https"),
        (
            with(oidc(&pool, "Okta"), "ProviderDetails", "token_endpoint_auth_method", json!("none")),
            "client_secret_basic",
        ),
        (with(g.clone(), "ProviderDetails", "api_version", json!("v17.0")), "api_version"),
        (with(g.clone(), "AttributeMapping", "shoe_size", json!("shoe")), "shoe_size"),
        (with(g.clone(), "AttributeMapping", "sub", json!("sub")), "immutable"),
        (with(g.clone(), "AttributeMapping", "custom:tenant", json!("tenant")), "immutable"),
        (with(g.clone(), "AttributeMapping", "name", json!("")), "empty"),
        (with(g.clone(), "", "IdpIdentifiers", json!(["a.com", "a.com"])), "Duplicate IdpIdentifier"),
    ];
    for (body, says) in invalid {
        let (kind, msg) = error(&app, "CreateIdentityProvider", body.clone()).await;
        assert_eq!(kind, "InvalidParameterException", "{body}: {msg}");
        assert!(msg.contains(says), "{body}: {msg} does not say {says}");
    }
    let facebook = json!({"UserPoolId": pool, "ProviderName": "Facebook", "ProviderType": "Facebook",
                          "ProviderDetails": {"client_id": "fb", "client_secret": "s", "authorize_scopes": "email",
                                              "api_version": "17"}});
    assert_eq!(error_type(&app, "CreateIdentityProvider", facebook).await, "InvalidParameterException");
    assert_eq!(
        error_type(&app, "CreateIdentityProvider", with(g.clone(), "", "UserPoolId", json!("eu-west-3_missing00")))
            .await,
        "ResourceNotFoundException"
    );

    app.ok("CreateIdentityProvider", g.clone()).await;
    let (kind, msg) = error(&app, "CreateIdentityProvider", g).await;
    assert_eq!(kind, "DuplicateProviderException", "{msg}");
    let taken = with(oidc(&pool, "Okta"), "", "IdpIdentifiers", json!(["corp.com", "gmail.com"]));
    let (kind, msg) = error(&app, "CreateIdentityProvider", taken).await;
    assert_eq!(kind, "InvalidParameterException");
    assert!(msg.contains("Duplicate IdpIdentifier gmail.com") && msg.contains("Google"), "{msg}");
    assert!(app.services.store.get_identity_provider(&pool, "Okta").await.unwrap().is_none(), "nothing half-made");
}

#[tokio::test]
async fn providers_list_in_pages_and_are_found_by_identifier() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    app.ok("CreateIdentityProvider", google(&pool)).await;
    for (name, ids) in
        [("Okta", json!(["okta.com", "corp.example"])), ("Auth0", json!([])), ("Keycloak", json!(["kc"]))]
    {
        app.ok("CreateIdentityProvider", with(oidc(&pool, name), "", "IdpIdentifiers", ids)).await;
    }
    let (mut seen, mut token, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let mut body = json!({"UserPoolId": pool, "MaxResults": 3});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let page = app.ok("ListIdentityProviders", body).await;
        pages += 1;
        for p in page["Providers"].as_array().unwrap() {
            assert!(p["CreationDate"].is_number() && p["LastModifiedDate"].is_number(), "{p}");
            assert!(p.get("ProviderDetails").is_none(), "a description only: {p}");
            seen.push((
                p["ProviderName"].as_str().unwrap().to_string(),
                p["ProviderType"].as_str().unwrap().to_string(),
            ));
        }
        token = page["NextToken"].as_str().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 2);
    let want: Vec<(String, String)> = [("Auth0", "OIDC"), ("Google", "Google"), ("Keycloak", "OIDC"), ("Okta", "OIDC")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(seen, want);
    let all = app.ok("ListIdentityProviders", json!({"UserPoolId": pool})).await;
    assert_eq!(all["Providers"].as_array().unwrap().len(), 4);
    assert!(all.get("NextToken").is_none());

    let found =
        app.ok("GetIdentityProviderByIdentifier", json!({"UserPoolId": pool, "IdpIdentifier": "corp.example"})).await;
    assert_eq!(found["IdentityProvider"]["ProviderName"], "Okta");
    assert_eq!(found["IdentityProvider"]["ProviderDetails"]["oidc_issuer"], "https://idp.example.com");
    let (kind, _) =
        error(&app, "GetIdentityProviderByIdentifier", json!({"UserPoolId": pool, "IdpIdentifier": "nope"})).await;
    assert_eq!(kind, "ResourceNotFoundException");
    let missing_pool = json!({"UserPoolId": "eu-west-3_missing00"});
    assert_eq!(error_type(&app, "ListIdentityProviders", missing_pool).await, "ResourceNotFoundException");
}

#[tokio::test]
async fn update_replaces_what_is_given_and_keeps_the_secret_unless_a_new_one_is_given() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let pool = app.create_pool(json!({})).await;
    let before = app.ok("CreateIdentityProvider", google(&pool)).await["IdentityProvider"].clone();
    app.ok("CreateIdentityProvider", with(oidc(&pool, "Okta"), "", "IdpIdentifiers", json!(["okta.com"]))).await;
    app.clock.advance_secs(60);

    // New details without client_secret: the old secret stays.
    let updated = app
        .ok(
            "UpdateIdentityProvider",
            json!({"UserPoolId": pool, "ProviderName": "Google",
                   "ProviderDetails": {"client_id": "new-client", "authorize_scopes": "openid"}}),
        )
        .await["IdentityProvider"]
        .clone();
    assert_eq!(updated["ProviderDetails"]["client_id"], "new-client");
    assert_eq!(updated["ProviderDetails"]["client_secret"], GOOGLE_SECRET);
    assert_eq!(updated["AttributeMapping"], before["AttributeMapping"], "mapping kept when not given");
    assert_eq!(updated["IdpIdentifiers"], json!(["gmail.com"]));
    assert_eq!(updated["CreationDate"], before["CreationDate"]);
    assert_eq!(updated["LastModifiedDate"].as_i64().unwrap(), before["LastModifiedDate"].as_i64().unwrap() + 60);

    let updated = app
        .ok(
            "UpdateIdentityProvider",
            json!({"UserPoolId": pool, "ProviderName": "Google",
                   "ProviderDetails": {"client_id": "new-client", "client_secret": "rotated", "authorize_scopes": "openid"},
                   "AttributeMapping": {"name": "name"}, "IdpIdentifiers": ["googlemail.com"]}),
        )
        .await["IdentityProvider"]
        .clone();
    assert_eq!(updated["ProviderDetails"]["client_secret"], "rotated");
    assert_eq!(updated["AttributeMapping"], json!({"name": "name", "username": "sub"}));
    let described =
        app.ok("DescribeIdentityProvider", json!({"UserPoolId": pool, "ProviderName": "Google"})).await["IdentityProvider"]
            .clone();
    assert_eq!(described, updated);
    let by_id = |id: &str| json!({"UserPoolId": pool, "IdpIdentifier": id});
    assert_eq!(
        error_type(&app, "GetIdentityProviderByIdentifier", by_id("gmail.com")).await,
        "ResourceNotFoundException"
    );
    app.ok("GetIdentityProviderByIdentifier", by_id("googlemail.com")).await;

    let taken = json!({"UserPoolId": pool, "ProviderName": "Google", "IdpIdentifiers": ["okta.com"]});
    let (kind, msg) = error(&app, "UpdateIdentityProvider", taken).await;
    assert_eq!(kind, "InvalidParameterException");
    assert!(msg.contains("okta.com"), "{msg}");
    let bad = json!({"UserPoolId": pool, "ProviderName": "Google", "ProviderDetails": {"client_id": "c", "authorize_scopes": "openid", "x": "y"}});
    assert_eq!(error_type(&app, "UpdateIdentityProvider", bad).await, "InvalidParameterException");
    let missing = json!({"UserPoolId": pool, "ProviderName": "Auth0", "AttributeMapping": {}});
    assert_eq!(error_type(&app, "UpdateIdentityProvider", missing).await, "ResourceNotFoundException");
    let cognito = json!({"UserPoolId": pool, "ProviderName": "COGNITO", "AttributeMapping": {}});
    assert_eq!(error_type(&app, "UpdateIdentityProvider", cognito).await, "UnsupportedIdentityProviderException");
    let row = app.services.store.get_identity_provider(&pool, "Google").await.unwrap().unwrap();
    assert!(!row.secret.unwrap().contains("rotated") && !row.details.contains_key("client_secret"));
}

#[tokio::test]
async fn clients_offer_only_the_pools_providers_and_lose_a_deleted_one() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let offer = |providers: Value| json!({"SupportedIdentityProviders": providers});
    let (kind, msg) = error(
        &app,
        "CreateUserPoolClient",
        json!({"UserPoolId": pool, "ClientName": "web", "SupportedIdentityProviders": ["COGNITO", "Okta"]}),
    )
    .await;
    assert_eq!(kind, "InvalidParameterException");
    assert_eq!(msg, format!("The provider Okta does not exist for User Pool {pool}"));

    app.ok("CreateIdentityProvider", oidc(&pool, "Okta")).await;
    app.ok("CreateIdentityProvider", google(&pool)).await;
    let (both, _) = app.create_client(&pool, false, offer(json!(["COGNITO", "Okta", "Google"]))).await;
    let (okta_only, _) = app.create_client(&pool, false, offer(json!(["Okta"]))).await;
    let (other, _) = app.create_client(&pool, false, offer(json!(["Google"]))).await;
    // Cached before the deletion: the cache must not keep the old list.
    let describe = |id: &str| json!({"UserPoolId": pool, "ClientId": id});
    app.ok("DescribeUserPoolClient", describe(&both)).await;
    app.services.directory.find_client(&okta_only.as_str().into()).await.unwrap();
    let (kind, _) = error(
        &app,
        "UpdateUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": other, "SupportedIdentityProviders": ["Auth0"]}),
    )
    .await;
    assert_eq!(kind, "InvalidParameterException");

    app.ok("DeleteIdentityProvider", json!({"UserPoolId": pool, "ProviderName": "Okta"})).await;
    let providers = |c: Value| c["UserPoolClient"]["SupportedIdentityProviders"].clone();
    assert_eq!(providers(app.ok("DescribeUserPoolClient", describe(&both)).await), json!(["COGNITO", "Google"]));
    assert_eq!(providers(app.ok("DescribeUserPoolClient", describe(&okta_only)).await), json!([]));
    assert_eq!(providers(app.ok("DescribeUserPoolClient", describe(&other)).await), json!(["Google"]));
    let cached = app.services.directory.find_client(&okta_only.as_str().into()).await.unwrap().unwrap();
    assert!(cached.supported_identity_providers().is_empty(), "cache invalidated");

    let gone = json!({"UserPoolId": pool, "ProviderName": "Okta"});
    assert_eq!(error_type(&app, "DescribeIdentityProvider", gone.clone()).await, "ResourceNotFoundException");
    assert_eq!(error_type(&app, "DeleteIdentityProvider", gone).await, "ResourceNotFoundException");
    let cognito = json!({"UserPoolId": pool, "ProviderName": "COGNITO"});
    assert_eq!(error_type(&app, "DeleteIdentityProvider", cognito).await, "UnsupportedIdentityProviderException");
    let (kind, _) = error(
        &app,
        "UpdateUserPoolClient",
        json!({"UserPoolId": pool, "ClientId": other, "SupportedIdentityProviders": ["Okta"]}),
    )
    .await;
    assert_eq!(kind, "InvalidParameterException", "a deleted provider cannot be offered again");
}

#[tokio::test]
async fn linking_an_identity_lists_it_in_the_users_identities_attribute_and_token() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    app.ok("CreateIdentityProvider", google(&pool)).await;
    app.ok("CreateIdentityProvider", oidc(&pool, "Okta")).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;
    assert_eq!(identities(&app, &pool, "alice").await, None);

    let linked_at = app.services.now();
    assert_eq!(app.ok("AdminLinkProviderForUser", link(&pool, "alice", "Google", "1001")).await, json!({}));
    app.clock.advance_secs(5);
    app.ok("AdminLinkProviderForUser", link(&pool, "alice", "Okta", "00u-abc")).await;
    let want = json!([
        {"userId": "1001", "providerName": "Google", "providerType": "Google", "issuer": null,
         "primary": "false", "dateCreated": (linked_at * 1000).to_string()},
        {"userId": "00u-abc", "providerName": "Okta", "providerType": "OIDC", "issuer": "https://idp.example.com",
         "primary": "false", "dateCreated": ((linked_at + 5) * 1000).to_string()},
    ]);
    assert_eq!(identities(&app, &pool, "alice").await, Some(want.clone()));
    let listed = app.ok("ListUsers", json!({"UserPoolId": pool, "Filter": "username = \"alice\""})).await;
    let attrs = listed["Users"][0]["Attributes"].as_array().unwrap().clone();
    let value = attrs.iter().find(|a| a["Name"] == "identities").expect("identities in ListUsers")["Value"].clone();
    assert_eq!(serde_json::from_str::<Value>(value.as_str().unwrap()).unwrap(), want);
    assert_eq!(user_attributes(&app, &pool, "alice").await["email"], "alice@example.com", "other attributes kept");
    let row = app.services.store.get_user_identity(&pool, "Google", "1001").await.unwrap().expect("link row");
    assert_eq!(row.user_id, app.services.store.get_user_by_username(&pool, "alice").await.unwrap().unwrap().id);

    // The ID token carries them as a JSON array.
    let (status, v) = initiate_auth(&app, &client, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(claims(v["AuthenticationResult"]["IdToken"].as_str().unwrap())["identities"], want);

    // An identity links to one user once.
    let (kind, msg) = error(&app, "AdminLinkProviderForUser", link(&pool, "alice", "Google", "1001")).await;
    assert_eq!(kind, "AliasExistsException", "{msg}");
    assert!(msg.contains("already linked"), "{msg}");
    assert_eq!(
        error_type(&app, "AdminLinkProviderForUser", link(&pool, "bob", "Google", "1001")).await,
        "AliasExistsException"
    );
    // An identity that already signed in (its own federated user exists) cannot be linked.
    federated_user(&app, &pool, "Google", "2002").await;
    assert_eq!(
        error_type(&app, "AdminLinkProviderForUser", link(&pool, "bob", "Google", "2002")).await,
        "AliasExistsException"
    );
    // ... nor can anything be linked to such a federated user.
    let (kind, msg) = error(&app, "AdminLinkProviderForUser", link(&pool, "Google_2002", "Okta", "x")).await;
    assert_eq!(kind, "InvalidParameterException", "{msg}");

    assert_eq!(
        error_type(&app, "AdminLinkProviderForUser", link(&pool, "nobody", "Google", "3003")).await,
        "UserNotFoundException"
    );
    let (kind, msg) = error(&app, "AdminLinkProviderForUser", link(&pool, "bob", "Auth0", "3003")).await;
    assert_eq!(
        (kind.as_str(), msg),
        ("InvalidParameterException", format!("The provider Auth0 does not exist for User Pool {pool}"))
    );
    let not_cognito = with(link(&pool, "bob", "Google", "3003"), "DestinationUser", "ProviderName", json!("Google"));
    assert_eq!(error_type(&app, "AdminLinkProviderForUser", not_cognito).await, "InvalidParameterException");
    let by_email = with(link(&pool, "bob", "Google", "3003"), "SourceUser", "ProviderAttributeName", json!("email"));
    assert_eq!(error_type(&app, "AdminLinkProviderForUser", by_email).await, "InvalidParameterException");
    let no_pool = with(link(&pool, "bob", "Google", "3003"), "", "UserPoolId", json!("eu-west-3_missing00"));
    assert_eq!(error_type(&app, "AdminLinkProviderForUser", no_pool).await, "ResourceNotFoundException");
    assert_eq!(identities(&app, &pool, "bob").await, None, "nothing linked by the refusals");
}

#[tokio::test]
async fn a_user_has_at_most_five_linked_identities() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    app.ok("CreateIdentityProvider", oidc(&pool, "Okta")).await;
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    for n in 1..=5 {
        app.ok("AdminLinkProviderForUser", link(&pool, "alice", "Okta", &format!("user-{n}"))).await;
    }
    let (kind, msg) = error(&app, "AdminLinkProviderForUser", link(&pool, "alice", "Okta", "user-6")).await;
    assert_eq!(kind, "LimitExceededException", "{msg}");
    assert_eq!(identities(&app, &pool, "alice").await.unwrap().as_array().unwrap().len(), 5);
    assert!(app.services.store.get_user_identity(&pool, "Okta", "user-6").await.unwrap().is_none());
}

#[tokio::test]
async fn the_identities_attribute_cannot_be_written() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let forged = json!([{"Name": "identities", "Value": "[{\"userId\":\"1\",\"providerName\":\"Google\"}]"}]);
    let (kind, msg) = error(
        &app,
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "eve", "MessageAction": "SUPPRESS", "UserAttributes": forged}),
    )
    .await;
    assert_eq!(kind, "InvalidParameterException");
    assert!(msg.contains("identities"), "{msg}");
    app.create_user(&pool, "eve", PASSWORD, json!([])).await;
    let update = json!({"UserPoolId": pool, "Username": "eve", "UserAttributes": forged});
    assert_eq!(error_type(&app, "AdminUpdateUserAttributes", update).await, "InvalidParameterException");
    assert_eq!(identities(&app, &pool, "eve").await, None);
}

#[tokio::test]
async fn disabling_a_provider_for_a_user_unlinks_or_disables() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    app.ok("CreateIdentityProvider", google(&pool)).await;
    app.ok("CreateIdentityProvider", oidc(&pool, "Okta")).await;
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;
    app.ok("AdminLinkProviderForUser", link(&pool, "alice", "Google", "1001")).await;
    app.ok("AdminLinkProviderForUser", link(&pool, "alice", "Okta", "00u-1")).await;

    // A link to a native user is removed; the user stays enabled.
    assert_eq!(app.ok("AdminDisableProviderForUser", disable(&pool, "Google", "1001")).await, json!({}));
    assert!(app.services.store.get_user_identity(&pool, "Google", "1001").await.unwrap().is_none());
    let left = identities(&app, &pool, "alice").await.unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["providerName"], "Okta");
    assert_eq!(app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "alice"})).await["Enabled"], true);
    app.ok("AdminDisableProviderForUser", disable(&pool, "Okta", "00u-1")).await;
    assert_eq!(identities(&app, &pool, "alice").await, None, "the attribute goes with the last link");
    // Nothing linked any more: nothing to do.
    assert_eq!(app.ok("AdminDisableProviderForUser", disable(&pool, "Google", "1001")).await, json!({}));

    // The identity's own federated user is disabled, keeping its identity.
    let fed = federated_user(&app, &pool, "Google", "2002").await;
    let primary = identities(&app, &pool, "Google_2002").await.unwrap();
    assert_eq!((primary[0]["userId"].as_str(), primary[0]["primary"].as_str()), (Some("2002"), Some("true")));
    app.ok("AdminDisableProviderForUser", disable(&pool, "Google", "2002")).await;
    let got = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "Google_2002"})).await;
    assert_eq!((got["Enabled"].as_bool(), got["UserStatus"].as_str()), (Some(false), Some("EXTERNAL_PROVIDER")));
    let row = app.services.store.get_user_identity(&pool, "Google", "2002").await.unwrap().expect("kept");
    assert_eq!(row.user_id, fed.id);

    // A native user: no more password sign-in.
    app.ok("AdminDisableProviderForUser", disable(&pool, "Cognito", "bob")).await;
    let (status, v) = initiate_auth(&app, &client, "bob", PASSWORD).await;
    assert_eq!((status, v["message"].as_str()), (400, Some("User is disabled.")), "{v}");
    assert_eq!(
        error_type(&app, "AdminDisableProviderForUser", disable(&pool, "Cognito", "nobody")).await,
        "UserNotFoundException"
    );

    let wrong_name = with(disable(&pool, "Google", "1001"), "User", "ProviderAttributeName", json!("email"));
    assert_eq!(error_type(&app, "AdminDisableProviderForUser", wrong_name).await, "InvalidParameterException");
    let (kind, msg) = error(&app, "AdminDisableProviderForUser", disable(&pool, "Auth0", "1")).await;
    assert_eq!(kind, "InvalidParameterException");
    assert!(msg.contains("Auth0"), "{msg}");
    let no_pool = disable("eu-west-3_missing00", "Google", "1");
    assert_eq!(error_type(&app, "AdminDisableProviderForUser", no_pool).await, "ResourceNotFoundException");
}
