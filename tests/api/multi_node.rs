//! Two nodes on one database, as a deployment scales out: two servers, each with its own
//! caches, sharing the database and the master key. A user signs in on one and the code is
//! redeemed and refreshed on the other; failed passwords on both lock the account on both; keys
//! rotated on one verify on the other; a sign-out on one is refused on the other; the per-IP
//! rate limit counts requests to both. On PostgreSQL as in production, and on SQLite (one file,
//! two connection pools) alike.

use crate::helpers::*;
use portcullis::config::{Config, Secret};
use serde_json::{Value, json};

/// The master key both nodes are given (base64 of 32 bytes).
const MASTER_KEY: &str = "bXVsdGktbm9kZS10ZXN0LW1hc3Rlci1rZXktMzJieXQ=";

/// Node A on a fresh database, node B on A's database and behind A's public URL (as nodes behind
/// one load balancer are: the issuer is the same); both with `tweak`.
async fn two_nodes(tweak: impl Fn(&mut Config)) -> (TestApp, TestApp) {
    let a = TestApp::spawn_with(|c| {
        c.master_key = Some(Secret::new(MASTER_KEY));
        tweak(c);
    })
    .await;
    let (url, public_url) = (a.config.database_url.clone(), a.config.public_url.clone());
    let b = TestApp::spawn_with(|c| {
        c.database_url = url;
        c.public_url = public_url;
        c.master_key = Some(Secret::new(MASTER_KEY));
        tweak(c);
    })
    .await;
    (a, b)
}

async fn password_sign_in(app: &TestApp, client_id: &str, password: &str) -> (u16, Value) {
    initiate_auth(app, client_id, "alice", password).await
}

#[tokio::test]
async fn two_nodes_share_sign_ins_lockouts_keys_sign_outs_and_rate_limits() {
    let (a, b) = two_nodes(|_| {}).await;
    let f = setup_flow(&a, false, json!({})).await;

    // Signed in on A through the hosted pages; the code redeemed on B, refreshed on both.
    let browser = a.browser();
    let code = code_via_browser(&a, &f, &browser).await;
    let r = f.redeem(&b, &code).await;
    assert_eq!(r.status(), 200, "B redeems A's code");
    let t: Value = r.json().await.unwrap();
    let refresh = t["refresh_token"].as_str().unwrap();
    for node in [&a, &b] {
        let form = [("grant_type", "refresh_token"), ("client_id", f.client_id.as_str()), ("refresh_token", refresh)];
        let r = node.http.post(node.url(&f.pool, "/oauth2/token")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 200, "refresh on {}", node.base);
    }

    // Keys rotated on A: A's new tokens verify on B at once (an unknown kid is looked up).
    let old_kid = jwt_kid(t["access_token"].as_str().unwrap());
    a.services.user_pools.rotate_keys(&portcullis::ids::PoolId::parse(&f.pool).unwrap()).await.expect("rotate");
    let (st, v) = password_sign_in(&a, &f.client_id, PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    let access = v["AuthenticationResult"]["AccessToken"].as_str().unwrap().to_string();
    assert_ne!(jwt_kid(&access), old_kid, "signed with the new key");
    let (st, u) = b.public_api("GetUser", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "B verifies a token A signed with the new key: {u}");

    // Signed out on B: A refuses the token from then on.
    let (st, _) = b.public_api("GlobalSignOut", json!({"AccessToken": access})).await;
    assert_eq!(st, 200);
    let (st, e) = a.public_api("GetUser", json!({"AccessToken": access})).await;
    assert_eq!((st, err_message(&e)), (400, "Access Token has been revoked"), "{e}");

    // Wrong passwords alternating between the nodes lock the account on both.
    a.clock.freeze();
    b.clock.freeze();
    for i in 0..5 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (st, e) = password_sign_in(node, &f.client_id, "Wrong-password-1").await;
        assert_eq!((st, err_message(&e)), (400, "Incorrect username or password."), "failure {i}: {e}");
    }
    for node in [&a, &b] {
        let (st, e) = password_sign_in(node, &f.client_id, PASSWORD).await;
        assert_eq!((st, err_message(&e)), (400, "Password attempts exceeded"), "{}: {e}", node.base);
    }
}

#[tokio::test]
async fn the_per_address_rate_limit_counts_requests_to_either_node() {
    let (a, b) = two_nodes(|c| c.rate_limit_sign_in = 4).await;
    let f = setup_flow(&a, false, json!({})).await;
    for i in 0..4 {
        let node = if i % 2 == 0 { &a } else { &b };
        let (st, v) = password_sign_in(node, &f.client_id, PASSWORD).await;
        assert_eq!(st, 200, "sign-in {i}: {v}");
    }
    for node in [&a, &b] {
        let (st, e) = password_sign_in(node, &f.client_id, PASSWORD).await;
        assert_eq!((st, err_type(&e)), (400, "TooManyRequestsException"), "{}: {e}", node.base);
    }
}

fn jwt_kid(jwt: &str) -> String {
    use base64::Engine;
    let header = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["kid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_janitor_runs_on_one_node_at_a_time_and_another_takes_over_when_it_is_gone() {
    let (a, b) = two_nodes(|_| {}).await;
    let pass = |app: &TestApp, node: &'static str| {
        let services = app.services.clone();
        async move { portcullis::startup::janitor_pass(&services, node).await }
    };
    let advance = |secs| {
        a.clock.advance_secs(secs);
        b.clock.advance_secs(secs);
    };
    // (The nodes' own janitors first wake a minute after start, after this test.)
    assert!(pass(&a, "node-a").await, "A takes the lease");
    assert!(!pass(&b, "node-b").await, "B finds it held");
    assert!(pass(&a, "node-a").await, "A renews its own lease");
    advance(300);
    assert!(!pass(&b, "node-b").await, "still A's");
    // A stops (no more passes): once its lease runs out, B takes over, and A is then refused.
    advance(300);
    assert!(pass(&b, "node-b").await, "B takes over");
    assert!(!pass(&a, "node-a").await, "A finds it held by B");
}
