//! GetCredentialsForIdentity: credentials only with a role, Deny that denies, and credentials
//! for the pool's roles (guest and authenticated) and for role mappings (rules tried in order,
//! the token's preferred role, ambiguity resolved both ways), each checked by signing STS
//! GetCallerIdentity with them.

use crate::aws_query::*;
use crate::helpers::*;
use crate::identity_pool_helpers::*;
use serde_json::{Value, json};

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

/// Create a role trusting `pool` for identities whose `amr` matches `amr`; its ARN.
async fn create_role(app: &TestApp, name: &str, pool: &str, amr: &str) -> String {
    let trust = trust(
        "cognito-identity.amazonaws.com",
        json!({"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
               "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}),
    );
    let xml = iam_ok(app, &[("Action", "CreateRole"), ("RoleName", name), ("AssumeRolePolicyDocument", &trust)]).await;
    tag(&xml, "Arn").expect("Arn")
}

/// STS GetCallerIdentity signed with the credentials of a GetCredentialsForIdentity answer.
async fn caller_identity_with(app: &TestApp, c: &Value) -> (u16, String) {
    caller_identity(app, &Signer::temporary(app, &Creds::of_identity(c))).await
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
    let (status, xml) = caller_identity_with(app, c).await;
    assert_eq!(status, 200, "GetCallerIdentity failed: {xml}");
    Ok(tag(&xml, "Arn").expect("Arn"))
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
    let (status, xml) = caller_identity_with(&app, &guest_credentials["Credentials"]).await;
    assert_eq!((status, tag(&xml, "Code").as_deref()), (403, Some("ExpiredToken")), "{xml}");
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
