//! `/metrics` from outside: requests by route template, method and status with their latency,
//! sign-in events by outcome and reason, tokens by grant, the password queue and the database
//! pool, in Prometheus' text format; and no label that names a pool, client, user or raw path.
//! The recorder is one per process (tests run side by side in it), so counts are compared as
//! increases over what this test did.

use crate::helpers::*;
use serde_json::json;

pub(crate) async fn scrape(app: &TestApp) -> String {
    let r = app.http.get(format!("{}/metrics", app.base)).send().await.expect("the server answers");
    assert_eq!(r.status(), 200);
    let kind = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(kind.starts_with("text/plain"), "{kind}");
    r.text().await.expect("text")
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
pub(crate) fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|(k, val)| rest.contains(&format!("{k}=\"{val}\"")))).then_some(v)
        })
        .filter_map(|v| v.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn requests_sign_ins_tokens_and_the_database_pool_are_measured_with_bounded_labels() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let before = scrape(&app).await;

    let mut refresh = String::new();
    for _ in 0..2 {
        let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
        assert_eq!(st, 200, "{v}");
        refresh = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    }
    let (st, _) = initiate_auth(&app, &f.client_id, "alice", "wrong-Password-1").await;
    assert_eq!(st, 400);
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client_id, "AuthParameters": {"REFRESH_TOKEN": refresh}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let jwks = app.http.get(app.url(&f.pool, "/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(jwks.status(), 200);
    let missing = app.http.get(format!("{}/no/such/{}", app.base, f.client_id)).send().await.unwrap();
    assert_eq!(missing.status(), 404);

    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    let sign_in = |outcome, reason| [("event", "SignIn"), ("outcome", outcome), ("reason", reason)];
    assert!(grew("portcullis_auth_events_total", &sign_in("Pass", "none")) >= 2.0, "{after}");
    assert!(grew("portcullis_auth_events_total", &sign_in("Fail", "bad_password")) >= 1.0, "{after}");
    assert!(grew("portcullis_tokens_issued_total", &[("grant", "sign_in")]) >= 2.0, "{after}");
    assert!(grew("portcullis_tokens_issued_total", &[("grant", "refresh_token")]) >= 1.0, "{after}");
    let api = |status| [("route", "/"), ("method", "POST"), ("status", status)];
    assert!(grew("portcullis_http_requests_total", &api("200")) >= 3.0, "{after}");
    assert!(grew("portcullis_http_requests_total", &api("400")) >= 1.0, "{after}");
    // Latency as a histogram, with buckets.
    assert!(grew("portcullis_http_request_duration_seconds_count", &api("200")) >= 3.0, "{after}");
    assert!(value(&after, "portcullis_http_request_duration_seconds_bucket", &[("route", "/"), ("le", "+Inf")]) >= 3.0);
    // A path with a pool id in it is counted under its template; one no route knows, as unmatched.
    let jwks_route = [("route", "/{pool}/.well-known/jwks.json"), ("method", "GET"), ("status", "200")];
    assert!(grew("portcullis_http_requests_total", &jwks_route) >= 1.0, "{after}");
    assert!(grew("portcullis_http_requests_total", &[("route", "unmatched"), ("status", "404")]) >= 1.0, "{after}");
    // Three password checks waited for a hashing thread.
    assert!(grew("portcullis_password_queue_wait_seconds_count", &[]) >= 3.0, "{after}");
    // They hold argon2's 19 MiB (the server's m) for a while after.
    assert!(value(&after, "portcullis_password_hash_memory_bytes", &[]) >= 19.0 * 1024.0 * 1024.0, "{after}");
    // The database pool, read at the scrape.
    assert_eq!(value(&after, "portcullis_database_connections_max", &[]), 8.0, "{after}");
    assert!(value(&after, "portcullis_database_connections", &[("state", "idle")]) >= 0.0);
    assert_eq!(value(&after, "portcullis_up", &[]), 1.0);
    // Nothing that names a pool, client or user is a label.
    for name in [f.pool.as_str(), f.client_id.as_str(), "alice"] {
        assert!(!after.contains(name), "{name} appears in /metrics");
    }
}

#[tokio::test]
async fn every_answer_carries_a_request_id_of_the_servers_own() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let id_of = |r: &reqwest::Response| -> String {
        let id = r.headers().get("x-amzn-requestid").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{} {}: request id {id:?}", r.status(), r.url());
        id
    };
    let mut seen = std::collections::BTreeSet::new();
    let api = |password: &str| initiate_auth_request(&app, &f.client_id, "alice", password);
    for r in [
        api(PASSWORD).send().await.unwrap(),
        api("wrong-Password-1").send().await.unwrap(),
        app.http.get(f.authorize_url(&app, "").replace("/oauth2/authorize", "/login")).send().await.unwrap(),
        app.http.get(format!("{}/no/such/page", app.base)).send().await.unwrap(),
        app.http.get(format!("{}/health/live", app.base)).send().await.unwrap(),
        // A client's own id is not taken over: the server's is its own.
        api(PASSWORD).header("x-amzn-RequestId", "client-chosen").send().await.unwrap(),
    ] {
        assert!(seen.insert(id_of(&r)), "request ids repeat: {seen:?}");
    }
    assert_eq!(seen.len(), 6);
}
