//! What the identity-pool tests (`identity_pool_*`) share: an identity pool in front of a user
//! pool with alice, the two forms of a user pool's login key, and the unsigned GetId and
//! GetOpenIdToken calls.

use crate::helpers::*;
use serde_json::{Value, json};

pub const AUTH_ROLE: &str = "arn:aws:iam::000000000000:role/auth";
pub const GUEST_ROLE: &str = "arn:aws:iam::000000000000:role/guest";

/// The tests use the basic flow's GetOpenIdToken as well as the enhanced flow, so their pools
/// allow it unless `extra` says otherwise.
pub async fn create_identity_pool(app: &TestApp, extra: Value) -> String {
    let mut body = json!({"IdentityPoolName": "test identity pool", "AllowUnauthenticatedIdentities": false,
                          "AllowClassicFlow": true});
    merge(&mut body, extra);
    let v = app.identity_ok("CreateIdentityPool", body).await;
    v["IdentityPoolId"].as_str().expect("identity pool id").to_string()
}

/// The login key SDKs build: `cognito-idp.{region}.amazonaws.com/{poolId}`.
pub fn aws_provider(user_pool: &str) -> String {
    format!("cognito-idp.local.amazonaws.com/{user_pool}")
}

pub async fn id_token(app: &TestApp, client_id: &str, username: &str) -> String {
    let (status, v) = initiate_auth(app, client_id, username, PASSWORD).await;
    assert_eq!(status, 200, "sign-in failed: {v}");
    v["AuthenticationResult"]["IdToken"].as_str().expect("id token").to_string()
}

/// A user pool with alice (and a client without secret) behind an identity pool.
pub struct Setup {
    pub flow: Flow,
    pub pool: String,
    pub provider: String,
}

pub async fn setup(app: &TestApp, identity_extra: Value) -> Setup {
    let flow = setup_flow(app, false, json!({})).await;
    let provider = provider(app, &flow.pool);
    let mut extra = json!({"CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id}]});
    merge(&mut extra, identity_extra);
    let pool = create_identity_pool(app, extra).await;
    Setup { flow, pool, provider }
}

pub async fn get_id(app: &TestApp, pool: &str, logins: Value) -> (u16, Value) {
    app.identity_public("GetId", json!({"IdentityPoolId": pool, "Logins": logins})).await
}

pub async fn get_id_ok(app: &TestApp, pool: &str, logins: Value) -> String {
    let (status, v) = get_id(app, pool, logins).await;
    assert_eq!(status, 200, "GetId failed: {v}");
    v["IdentityId"].as_str().expect("identity id").to_string()
}

pub async fn open_id_token(app: &TestApp, identity: &str, logins: Value) -> (u16, Value) {
    app.identity_public("GetOpenIdToken", json!({"IdentityId": identity, "Logins": logins})).await
}

pub async fn logins_of(app: &TestApp, identity: &str) -> Value {
    app.identity_ok("DescribeIdentity", json!({"IdentityId": identity})).await["Logins"].clone()
}
