//! Remembered devices with the clients' own device code, as `devices.rs` does them from the
//! formulas: amazon-cognito-identity-js in Node (`tests/node/devices.cjs`) and pycognito's
//! `AWSSRP` over boto3 (`tests/boto3/devices.py`). Each script signs in with SRP and a TOTP code,
//! lets the library confirm the new device, signs in again with the device standing in for the
//! code, refreshes with the device key, lists and reads the device, marks it not remembered
//! (the code is asked again) and remembered, and forgets it (the code is asked again and a new
//! device confirmed). The libraries are installed as in `srp_clients.rs`, with the same skip
//! rule for Node.

use crate::aws_sdk::{isolated_command, run_to_end};
use crate::devices::device_pool;
use crate::helpers::*;
use crate::node::{js_modules_or_skip, script, summary};
use crate::srp_clients::{pycognito_path, python};
use portcullis::clock::Clock;
use serde_json::{Value, json};
use std::path::Path;

/// A pool whose remembered devices replace the second factor, alice in it with her
/// authenticator set up; the scripts' environment. The clock is stopped two time steps past
/// the set-up code, so the three codes a script sends (30 s before the stopped time, at it, and
/// 30 s after) are each within the one step of skew, each new, and the same however long the
/// script takes.
async fn device_user(app: &TestApp) -> (Flow, Vec<(&'static str, String)>) {
    let config = json!({"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false});
    let (f, secret) = device_pool(app, Some(config), "ON").await;
    app.clock.advance_secs(60);
    app.clock.freeze();
    let env = vec![
        ("DEV_POOL", f.pool.clone()),
        ("DEV_CLIENT", f.client_id.clone()),
        ("DEV_USER", "alice".to_string()),
        ("DEV_PASSWORD", PASSWORD.to_string()),
        ("DEV_TOTP_SECRET", secret.expect("MFA ON sets up an authenticator")),
        ("DEV_TOTP_AT", (app.clock.now() - 30).to_string()),
    ];
    (f, env)
}

/// The server's view after a script: only the device confirmed last is left, under its name.
async fn only_the_last_device_is_left(app: &TestApp, f: &Flow, s: &Value, name: &str) {
    let (forgotten, current) = (s["forgotten"].as_str().unwrap(), s["current"].as_str().unwrap());
    let user = json!({"UserPoolId": f.pool, "Username": "alice"});
    let list = app.ok("AdminListDevices", user.clone()).await;
    let devices = list["Devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{list}");
    assert_eq!(devices[0]["DeviceKey"], current, "{list}");
    let attrs = attr_map(&devices[0]["DeviceAttributes"]);
    assert_eq!(
        (attrs["device_name"].as_str(), attrs["dev:device_remembered_status"].as_str()),
        (Some(name), Some("remembered"))
    );
    let mut gone = user;
    gone["DeviceKey"] = json!(forgotten);
    let (st, e) = app.api("AdminGetDevice", gone).await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
}

#[tokio::test]
async fn devices_amazon_cognito_identity_js_confirms_proves_and_forgets_its_device() {
    let Some(modules) = js_modules_or_skip("devices_amazon_cognito_identity_js_confirms_proves_and_forgets_its_device")
    else {
        return;
    };
    let app = TestApp::spawn().await;
    let (f, env) = device_user(&app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = script("devices.cjs");
    let mut cmd = isolated_command("node", dir.path());
    cmd.arg(&script).arg(&app.base).env("NODE_PATH", &modules).envs(env);
    let (ok, out, err) = run_to_end(cmd, dir.path(), "node devices.cjs").await;
    let s = summary(ok, &out, &err, "amazon-cognito-identity-js devices");
    assert_eq!(
        s["passed"],
        json!([
            "new device confirmed by the sdk",
            "remembered device replaces totp",
            "refresh with device key",
            "list devices",
            "get device",
            "not remembered asks totp, remembered again does not",
            "forget device",
        ]),
        "{s}"
    );
    only_the_last_device_is_left(&app, &f, &s, "nodejs").await;
}

#[tokio::test]
async fn devices_pycognito_confirms_proves_and_forgets_its_device() {
    let python = python();
    let deps = pycognito_path(&python);
    let app = TestApp::spawn().await;
    let (f, env) = device_user(&app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3/devices.py");
    let mut cmd = isolated_command(&python, dir.path());
    cmd.arg(&script).arg(&app.base).env("PYTHONPATH", &deps).env("PYTHONDONTWRITEBYTECODE", "1").envs(env);
    let (ok, out, err) = run_to_end(cmd, dir.path(), "pycognito devices.py").await;
    let s = summary(ok, &out, &err, "pycognito devices");
    assert_eq!(
        s["passed"],
        json!([
            "new device confirmed by pycognito",
            "remembered device replaces totp",
            "refresh with device key",
            "list and get devices",
            "not remembered asks totp, remembered again does not",
            "forget device",
        ]),
        "{s}"
    );
    only_the_last_device_is_left(&app, &f, &s, "pycognito").await;
}
