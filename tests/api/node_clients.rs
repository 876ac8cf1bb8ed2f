//! The JS client libraries beyond sign-in, through their own public API in Node against the
//! server: amazon-cognito-identity-js (`tests/node/profile.cjs`: refreshSession with
//! REFRESH_TOKEN_AUTH, changePassword, updateAttributes of an e-mail that must be verified before
//! it replaces the old one, verifyAttribute, deleteAttributes, globalSignOut, deleteUser) and
//! Amplify JS v6 (`tests/node/amplify.cjs`: signIn with SRP, fetchAuthSession({ forceRefresh })
//! through GetTokensFromRefreshToken with and without rotation, signOut, updatePassword,
//! updateUserAttributes + sendUserAttributeVerificationCode + confirmUserAttribute,
//! fetchUserAttributes, deleteUserAttributes, signOut({ global: true }), deleteUser). The scripts
//! ask for the mailed codes on stdout and the test answers from its SMTP sink. Libraries,
//! skipping and `PORTCULLIS_REQUIRE_NODE`: `node.rs`.

use crate::aws_sdk::isolated_command;
use crate::helpers::*;
use crate::node::{js_modules_or_skip, run_answering_codes, script, summary};
use crate::smtp::spawn_with_mail;
use serde_json::json;

const NEW_PASSWORD: &str = "Another-Horse-7";
const EMAIL: &str = "alice@example.com";
const NEW_EMAIL: &str = "alice@new.example.com";
const DELETABLE: &str = "custom:team";

/// A pool whose e-mail changes wait for verification, with a custom attribute, and alice in it
/// with a verified e-mail and a team.
async fn profile_pool(app: &TestApp) -> String {
    let pool = app
        .create_pool(json!({
            "AutoVerifiedAttributes": ["email"],
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "Schema": [{"Name": "team", "AttributeDataType": "String", "Mutable": true}],
        }))
        .await;
    app.create_user(
        &pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": EMAIL}, {"Name": "email_verified", "Value": "true"},
               {"Name": DELETABLE, "Value": "blue"}]),
    )
    .await;
    pool
}

/// A public client with SRP and refresh, and optionally refresh-token rotation without grace.
async fn srp_client(app: &TestApp, pool: &str, rotating: bool) -> String {
    let mut extra = json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                           "PreventUserExistenceErrors": "ENABLED"});
    if rotating {
        extra["RefreshTokenRotation"] = json!({"Feature": "ENABLED", "RetryGracePeriodSeconds": 0});
    }
    app.create_client(pool, false, extra).await.0
}

/// After the scripts' deleteUser: the user is gone on the server.
async fn assert_deleted(app: &TestApp, pool: &str) {
    let (status, v) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!((status, err_type(&v)), (400, "UserNotFoundException"), "{v}");
}

#[tokio::test]
async fn amazon_cognito_identity_js_manages_the_signed_in_profile() {
    let Some(modules) = js_modules_or_skip("amazon_cognito_identity_js_manages_the_signed_in_profile") else {
        return;
    };
    let (app, sink) = spawn_with_mail().await;
    let pool = profile_pool(&app).await;
    let client = srp_client(&app, &pool, false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = isolated_command("node", dir.path());
    cmd.arg(script("profile.cjs")).arg(&app.base).env("NODE_PATH", &modules);
    for (k, v) in [
        ("PROFILE_POOL", pool.as_str()),
        ("PROFILE_CLIENT", client.as_str()),
        ("PROFILE_USER", "alice"),
        ("PROFILE_PASSWORD", PASSWORD),
        ("PROFILE_NEW_PASSWORD", NEW_PASSWORD),
        ("PROFILE_EMAIL", EMAIL),
        ("PROFILE_NEW_EMAIL", NEW_EMAIL),
        ("PROFILE_DELETABLE", DELETABLE),
    ] {
        cmd.env(k, v);
    }
    let (ok, out, err) = run_answering_codes(cmd, dir.path(), &sink, "node profile.cjs").await;
    let s = summary(ok, &out, &err, "amazon-cognito-identity-js profile.cjs");
    assert_eq!(
        s["passed"],
        json!([
            "sign-in",
            "refresh session",
            "change password",
            "update attributes keeps the old e-mail",
            "verify attribute",
            "delete attributes",
            "global sign-out",
            "delete user",
        ]),
        "{s}"
    );
    // The client hides whether a user exists, so a deleted one is refused like a wrong password.
    assert_eq!(s["deletedSignIn"], "NotAuthorizedException", "{s}");
    assert_eq!(sink.count_to(EMAIL), 0, "nothing was mailed to the old address");
    assert_eq!(sink.count_to(NEW_EMAIL), 1, "one code, for the update");
    assert_deleted(&app, &pool).await;
}

#[tokio::test]
async fn amplify_v6_refreshes_and_manages_the_signed_in_profile() {
    let Some(modules) = js_modules_or_skip("amplify_v6_refreshes_and_manages_the_signed_in_profile") else {
        return;
    };
    let (app, sink) = spawn_with_mail().await;
    let pool = profile_pool(&app).await;
    let client = srp_client(&app, &pool, false).await;
    let rotating = srp_client(&app, &pool, true).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = isolated_command("node", dir.path());
    cmd.arg(script("amplify.cjs")).arg(&app.base).env("NODE_PATH", &modules);
    for (k, v) in [
        ("AMP_POOL", pool.as_str()),
        ("AMP_CLIENT", client.as_str()),
        ("AMP_ROTATING_CLIENT", rotating.as_str()),
        ("AMP_USER", "alice"),
        ("AMP_PASSWORD", PASSWORD),
        ("AMP_NEW_PASSWORD", NEW_PASSWORD),
        ("AMP_EMAIL", EMAIL),
        ("AMP_NEW_EMAIL", NEW_EMAIL),
        ("AMP_DELETABLE", DELETABLE),
    ] {
        cmd.env(k, v);
    }
    let (ok, out, err) = run_answering_codes(cmd, dir.path(), &sink, "node amplify.cjs").await;
    let s = summary(ok, &out, &err, "aws-amplify amplify.cjs");
    assert_eq!(
        s["passed"],
        json!([
            "sign-in",
            "refresh without rotation",
            "sign-out",
            "refresh with rotation",
            "update password",
            "update attributes keeps the old e-mail",
            "resend code",
            "confirm attribute",
            "delete attributes",
            "global sign-out",
            "delete user",
        ]),
        "{s}"
    );
    assert_eq!(s["refreshCalls"], json!(["GetTokensFromRefreshToken"]), "how Amplify refreshes: {s}");
    assert_eq!(s["deletedSignIn"], "NotAuthorizedException", "{s}");
    assert_eq!(sink.count_to(EMAIL), 0, "nothing was mailed to the old address");
    assert_eq!(sink.count_to(NEW_EMAIL), 2, "the update's code and the one asked for again");
    assert_deleted(&app, &pool).await;
}
