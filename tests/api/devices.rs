//! Remembered devices over HTTP, with a device written here from the formulas (the SRP client
//! of `srp.rs`): NewDeviceMetadata and the `device_key` claim, ConfirmDevice with the device's
//! verifier, the remembered device proving itself (DEVICE_SRP_AUTH → DEVICE_PASSWORD_VERIFIER)
//! in place of the second factor, refresh bound to the device, ForgetDevice revoking its
//! sign-ins, the Admin… actions, and what a pool without device tracking answers.

use crate::helpers::*;
use crate::mfa::{set_up_totp, totp_code};
use crate::srp::{SrpClient, claim, device_verifier, srp_sign_in, timestamp};
use portcullis::clock::Clock;
use serde_json::{Value, json};

pub(crate) const DEVICE_PASSWORD: &str = "device-random-password-0123456789abcdef";
const SALT: [u8; 16] = [0x9a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

pub(crate) fn flows() -> Value {
    json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})
}

/// A pool with this DeviceConfiguration (None: no tracking) and MFA mode, alice in it, and an
/// SRP client; with MFA ON, alice's authenticator is set up (its secret returned).
pub(crate) async fn device_pool(app: &TestApp, devices: Option<Value>, mfa: &str) -> (Flow, Option<String>) {
    let mut extra = json!({});
    if let Some(d) = devices {
        extra["DeviceConfiguration"] = d;
    }
    let pool = app.create_pool(extra).await;
    let (client_id, _) = app.create_client(&pool, false, flows()).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool, client_id, secret: None, verifier, challenge };
    app.ok(
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": f.pool, "MfaConfiguration": mfa, "SoftwareTokenMfaConfiguration": {"Enabled": true}}),
    )
    .await;
    let secret = if mfa == "ON" { Some(set_up_totp(app, &f).await) } else { None };
    (f, secret)
}

pub(crate) async fn password_sign_in(app: &TestApp, f: &Flow, device: Option<&str>) -> Value {
    let mut params = json!({"USERNAME": "alice", "PASSWORD": PASSWORD});
    if let Some(d) = device {
        params["DEVICE_KEY"] = json!(d);
    }
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": params}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

async fn respond(app: &TestApp, f: &Flow, name: &str, session: &Value, responses: Value) -> (u16, Value) {
    app.public_api(
        "RespondToAuthChallenge",
        json!({"ClientId": f.client_id, "ChallengeName": name, "Session": session, "ChallengeResponses": responses}),
    )
    .await
}

/// Answer SOFTWARE_TOKEN_MFA with the code of a fresh time step.
async fn answer_totp(app: &TestApp, f: &Flow, v: &Value, secret: &str, device: Option<&str>) -> Value {
    assert_eq!(v["ChallengeName"], "SOFTWARE_TOKEN_MFA", "{v}");
    app.clock.advance_secs(30);
    let mut r = json!({"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp_code(secret, app.clock.now())});
    if let Some(d) = device {
        r["DEVICE_KEY"] = json!(d);
    }
    let (st, out) = respond(app, f, "SOFTWARE_TOKEN_MFA", &v["Session"], r).await;
    assert_eq!(st, 200, "{out}");
    out
}

/// ConfirmDevice for the device the tokens went to, with its verifier: (status, body).
pub(crate) async fn confirm(app: &TestApp, access: &str, key: &str, group: &str, password: &str) -> (u16, Value) {
    app.public_api(
        "ConfirmDevice",
        json!({"AccessToken": access, "DeviceKey": key, "DeviceName": "alice's laptop",
               "DeviceSecretVerifierConfig": device_verifier(group, key, password, &SALT)}),
    )
    .await
}

/// DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER with the device's password: the final answer.
pub(crate) async fn prove_device(
    app: &TestApp,
    f: &Flow,
    session: &Value,
    key: &str,
    group: &str,
    password: &str,
) -> (u16, Value) {
    let c = SrpClient::new();
    let (st, v) =
        respond(app, f, "DEVICE_SRP_AUTH", session, json!({"USERNAME": "alice", "DEVICE_KEY": key, "SRP_A": c.big_a}))
            .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "DEVICE_PASSWORD_VERIFIER", "{v}");
    let p = &v["ChallengeParameters"];
    assert_eq!((p["DEVICE_KEY"].as_str(), p["USERNAME"].as_str()), (Some(key), Some("alice")), "{v}");
    let k = c.key_named(group, key, password, p["SALT"].as_str().unwrap(), p["SRP_B"].as_str().unwrap());
    let ts = timestamp(app.clock.now());
    let block = p["SECRET_BLOCK"].as_str().unwrap();
    respond(
        app,
        f,
        "DEVICE_PASSWORD_VERIFIER",
        &v["Session"],
        json!({"USERNAME": "alice", "DEVICE_KEY": key, "PASSWORD_CLAIM_SECRET_BLOCK": block, "TIMESTAMP": ts,
               "PASSWORD_CLAIM_SIGNATURE": claim(&k, group, key, block, &ts)}),
    )
    .await
}

async fn refresh(app: &TestApp, f: &Flow, token: &str, device: Option<&str>) -> (u16, Value) {
    let mut params = json!({"REFRESH_TOKEN": token});
    if let Some(d) = device {
        params["DEVICE_KEY"] = json!(d);
    }
    app.public_api(
        "InitiateAuth",
        json!({"ClientId": f.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": params}),
    )
    .await
}

fn device_attrs(d: &Value) -> serde_json::Map<String, Value> {
    attr_map(&d["DeviceAttributes"])
}

#[tokio::test]
async fn a_remembered_device_proves_itself_in_place_of_the_second_factor() {
    let app = TestApp::spawn().await;
    let config = json!({"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": true});
    let (f, secret) = device_pool(&app, Some(config), "ON").await;
    let secret = secret.unwrap();

    // A sign-in is issued to a new device: its key in the access token, not in the ID token.
    let v = password_sign_in(&app, &f, None).await;
    let out = answer_totp(&app, &f, &v, &secret, None).await;
    let r = &out["AuthenticationResult"];
    let (key, group) = (
        r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
        r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
    );
    let (region, id) = key.split_once('_').unwrap();
    assert!(f.pool.starts_with(&format!("{region}_")) && uuid::Uuid::parse_str(id).is_ok(), "{key}");
    let access = r["AccessToken"].as_str().unwrap();
    assert_eq!(claims(access)["device_key"], key);
    assert!(claims(r["IdToken"].as_str().unwrap()).get("device_key").is_none());
    let first_refresh = r["RefreshToken"].as_str().unwrap().to_string();

    // Before it is confirmed the device does not exist, and another sign-in gets another key.
    let (st, e) = app.public_api("GetDevice", json!({"AccessToken": access, "DeviceKey": key})).await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let other = answer_totp(&app, &f, &password_sign_in(&app, &f, None).await, &secret, None).await;
    let other_key = other["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap();
    assert_ne!(other_key, key);
    assert_eq!(other["AuthenticationResult"]["NewDeviceMetadata"]["DeviceGroupKey"], group, "one group per user");

    // ConfirmDevice takes only the key the token was issued to, once, and a real verifier.
    let (st, e) = confirm(&app, access, other_key, group, DEVICE_PASSWORD).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let bad = json!({"PasswordVerifier": "AA==", "Salt": "AQ=="});
    let (st, e) = app
        .public_api(
            "ConfirmDevice",
            json!({"AccessToken": access, "DeviceKey": key, "DeviceSecretVerifierConfig": bad}),
        )
        .await;
    assert_eq!((st, err_type(&e)), (400, "InvalidParameterException"), "v = 0 is refused: {e}");
    let (st, ok) = confirm(&app, access, key, group, DEVICE_PASSWORD).await;
    assert_eq!(st, 200, "{ok}");
    assert_eq!(ok["UserConfirmationNecessary"], true, "remembered only on the user's prompt");
    let (st, e) = confirm(&app, access, key, group, DEVICE_PASSWORD).await;
    assert_eq!((st, err_type(&e)), (400, "DeviceKeyExistsException"), "{e}");

    let (st, list) = app.public_api("ListDevices", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "{list}");
    let devices = list["Devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{list}");
    let attrs = device_attrs(&devices[0]);
    assert_eq!(attrs["dev:device_remembered_status"], "not_remembered");
    assert_eq!(attrs["device_name"], "alice's laptop");
    assert_eq!(attrs["device_status"], "valid");
    assert!(attrs["last_ip_used"].as_str().is_some_and(|ip| !ip.is_empty()), "{attrs:?}");

    // Confirmed but not remembered: the second factor is still asked, and the tokens go to it.
    let v = password_sign_in(&app, &f, Some(key)).await;
    let out = answer_totp(&app, &f, &v, &secret, Some(key)).await;
    assert!(out["AuthenticationResult"].get("NewDeviceMetadata").is_none(), "{out}");
    assert_eq!(claims(out["AuthenticationResult"]["AccessToken"].as_str().unwrap())["device_key"], key);

    // Remembered: after the password (SRP here) the device proves itself and no code is asked.
    let (st, _) = app
        .public_api(
            "UpdateDeviceStatus",
            json!({"AccessToken": access, "DeviceKey": key, "DeviceRememberedStatus": "remembered"}),
        )
        .await;
    assert_eq!(st, 200);
    let c = SrpClient::new();
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": f.client_id,
                   "AuthParameters": {"USERNAME": "alice", "SRP_A": c.big_a, "DEVICE_KEY": key}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let mut r = crate::srp::proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(app.clock.now()));
    r["DEVICE_KEY"] = json!(key);
    let (st, v) = app
        .public_api(
            "RespondToAuthChallenge",
            json!({"ClientId": f.client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": r}),
        )
        .await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("DEVICE_SRP_AUTH")), "{v}");
    app.clock.advance_secs(5);
    let proving = app.clock.now();
    let (st, out) = prove_device(&app, &f, &v["Session"], key, group, DEVICE_PASSWORD).await;
    assert_eq!(st, 200, "{out}");
    let r = &out["AuthenticationResult"];
    assert!(r.get("NewDeviceMetadata").is_none(), "{out}");
    let device_access = r["AccessToken"].as_str().unwrap().to_string();
    let device_refresh = r["RefreshToken"].as_str().unwrap().to_string();
    assert_eq!(claims(&device_access)["device_key"], key);
    let (_, got) = app.public_api("GetDevice", json!({"AccessToken": device_access, "DeviceKey": key})).await;
    // The clock runs with real time: the proof's second, whichever side of a tick it fell.
    let proved = got["Device"]["DeviceLastAuthenticatedDate"].as_i64().unwrap();
    assert!((proving..=app.clock.now()).contains(&proved), "{got}");
    assert_eq!(device_attrs(&got["Device"])["dev:device_remembered_status"], "remembered");

    // The wrong device password, or another device's key, gets no tokens.
    let v = password_sign_in(&app, &f, Some(key)).await;
    assert_eq!(v["ChallengeName"], "DEVICE_SRP_AUTH", "{v}");
    let (st, e) = prove_device(&app, &f, &v["Session"], key, group, "not-the-device-password").await;
    assert_eq!((st, err_type(&e), err_message(&e)), (400, "NotAuthorizedException", "Incorrect username or password."));
    let v = password_sign_in(&app, &f, Some(key)).await;
    let c = SrpClient::new();
    let (st, e) = respond(
        &app,
        &f,
        "DEVICE_SRP_AUTH",
        &v["Session"],
        json!({"USERNAME": "alice", "DEVICE_KEY": other_key, "SRP_A": c.big_a}),
    )
    .await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "{e}");

    // A refresh token of a confirmed device refreshes only with its key.
    let (st, e) = refresh(&app, &f, &device_refresh, None).await;
    assert_eq!((st, err_message(&e)), (400, "Invalid Refresh Token"), "{e}");
    let (st, e) = refresh(&app, &f, &device_refresh, Some(other_key)).await;
    assert_eq!((st, err_message(&e)), (400, "Invalid Refresh Token"), "{e}");
    let (st, ok) = refresh(&app, &f, &device_refresh, Some(key)).await;
    assert_eq!(st, 200, "{ok}");
    assert_eq!(claims(ok["AuthenticationResult"]["AccessToken"].as_str().unwrap())["device_key"], key);
    let (st, _) = app
        .public_api(
            "GetTokensFromRefreshToken",
            json!({"ClientId": f.client_id, "RefreshToken": device_refresh, "DeviceKey": key}),
        )
        .await;
    assert_eq!(st, 200);

    // Forgetting the device revokes what was issued to it; the next sign-in is a new device.
    let (st, _) = app.public_api("ForgetDevice", json!({"AccessToken": device_access, "DeviceKey": key})).await;
    assert_eq!(st, 200);
    let (st, e) = refresh(&app, &f, &device_refresh, Some(key)).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let (st, e) = refresh(&app, &f, &first_refresh, Some(key)).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "the first sign-in went to it too: {e}");
    let (st, e) = app.public_api("GetUser", json!({"AccessToken": device_access})).await;
    assert_eq!((st, err_message(&e)), (400, "Access Token has been revoked"), "{e}");
    let v = password_sign_in(&app, &f, Some(key)).await;
    let out = answer_totp(&app, &f, &v, &secret, Some(key)).await;
    let fresh = out["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap();
    assert_ne!(fresh, key);
}

#[tokio::test]
async fn where_the_device_cannot_replace_mfa_the_code_is_asked_and_without_mfa_the_device_still_proves_itself() {
    let app = TestApp::spawn().await;
    // Remembered at once; its proof does not replace the second factor.
    let config = json!({"ChallengeRequiredOnNewDevice": false, "DeviceOnlyRememberedOnUserPrompt": false});
    let (f, secret) = device_pool(&app, Some(config.clone()), "ON").await;
    let out = answer_totp(&app, &f, &password_sign_in(&app, &f, None).await, &secret.clone().unwrap(), None).await;
    let r = &out["AuthenticationResult"];
    let (key, group) = (
        r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
        r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
    );
    let (st, ok) = confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await;
    assert_eq!((st, &ok["UserConfirmationNecessary"]), (200, &json!(false)), "{ok}");
    let v = password_sign_in(&app, &f, Some(key)).await;
    assert_eq!(v["ChallengeName"], "SOFTWARE_TOKEN_MFA", "{v}");

    // Without MFA a remembered device proves itself all the same.
    let (g, _) = device_pool(&app, Some(config), "OFF").await;
    let r = password_sign_in(&app, &g, None).await["AuthenticationResult"].clone();
    let (key, group) = (
        r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
        r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
    );
    assert_eq!(confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await.0, 200);
    let v = password_sign_in(&app, &g, Some(key)).await;
    assert_eq!(v["ChallengeName"], "DEVICE_SRP_AUTH", "{v}");
    let (st, out) = prove_device(&app, &g, &v["Session"], key, group, DEVICE_PASSWORD).await;
    assert_eq!(st, 200, "{out}");
    // The SRP sign-in of srp.rs carries no DEVICE_KEY: a new device each time.
    let (st, v) = srp_sign_in(&app, &g.pool, &g.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    assert_ne!(v["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"], key);
}

#[tokio::test]
async fn administrators_list_read_update_and_forget_devices_and_untracked_pools_issue_none() {
    let app = TestApp::spawn().await;
    let (f, _) = device_pool(&app, Some(json!({"ChallengeRequiredOnNewDevice": true})), "OFF").await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        let r = password_sign_in(&app, &f, None).await["AuthenticationResult"].clone();
        let (key, group) = (
            r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
            r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
        );
        assert_eq!(confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await.0, 200);
        keys.push(key.to_string());
        app.clock.advance_secs(1);
    }
    let user = json!({"UserPoolId": f.pool, "Username": "alice"});
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = user.clone();
        req["Limit"] = json!(2);
        if let Some(t) = &token {
            req["PaginationToken"] = json!(t);
        }
        let page = app.ok("AdminListDevices", req).await;
        seen.extend(page["Devices"].as_array().unwrap().iter().map(|d| d["DeviceKey"].as_str().unwrap().to_string()));
        match page["PaginationToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, keys, "oldest first, each once");

    let mut one = user.clone();
    one["DeviceKey"] = json!(keys[0]);
    let got = app.ok("AdminGetDevice", one.clone()).await;
    assert_eq!(device_attrs(&got["Device"])["dev:device_remembered_status"], "remembered");
    let mut update = one.clone();
    update["DeviceRememberedStatus"] = json!("not_remembered");
    app.ok("AdminUpdateDeviceStatus", update).await;
    let got = app.ok("AdminGetDevice", one.clone()).await;
    assert_eq!(device_attrs(&got["Device"])["dev:device_remembered_status"], "not_remembered");
    app.ok("AdminForgetDevice", one.clone()).await;
    let (st, e) = app.api("AdminGetDevice", one.clone()).await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let (st, e) = app.api("AdminForgetDevice", one).await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let mut bad = user.clone();
    bad["DeviceKey"] = json!(keys[1]);
    bad["DeviceRememberedStatus"] = json!("forgotten");
    let (st, e) = app.api("AdminUpdateDeviceStatus", bad).await;
    assert_eq!((st, err_type(&e)), (400, "InvalidParameterException"), "{e}");

    // Another user's token sees none of alice's devices.
    app.create_user(&f.pool, "bob", PASSWORD, json!([])).await;
    let (st, b) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "bob", "PASSWORD": PASSWORD}}),
        )
        .await;
    assert_eq!(st, 200, "{b}");
    let bob = b["AuthenticationResult"]["AccessToken"].as_str().unwrap();
    let (st, e) = app.public_api("GetDevice", json!({"AccessToken": bob, "DeviceKey": keys[1]})).await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let (st, e) = app.public_api("ForgetDevice", json!({"AccessToken": bob, "DeviceKey": keys[1]})).await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let (_, list) = app.public_api("ListDevices", json!({"AccessToken": bob})).await;
    assert_eq!(list["Devices"], json!([]), "{list}");

    // A pool that does not track devices issues none and confirms none.
    let (g, _) = device_pool(&app, None, "OFF").await;
    let r = password_sign_in(&app, &g, None).await["AuthenticationResult"].clone();
    assert!(r.get("NewDeviceMetadata").is_none(), "{r}");
    let access = r["AccessToken"].as_str().unwrap();
    assert!(claims(access).get("device_key").is_none());
    let (st, e) = confirm(&app, access, &keys[1], "-x", DEVICE_PASSWORD).await;
    assert_eq!((st, err_type(&e)), (400, "InvalidUserPoolConfigurationException"), "{e}");
    let described = app.ok("DescribeUserPool", json!({"UserPoolId": f.pool})).await;
    assert_eq!(described["UserPool"]["DeviceConfiguration"]["ChallengeRequiredOnNewDevice"], true);
}

#[tokio::test]
async fn the_dashboard_user_page_lists_devices_and_remembers_or_forgets_them() {
    use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
    let app = spawn_dashboard(portcullis::config::AdminMfa::Optional).await;
    let (f, _) = device_pool(&app, Some(json!({"ChallengeRequiredOnNewDevice": true})), "OFF").await;
    let r = password_sign_in(&app, &f, None).await["AuthenticationResult"].clone();
    let (key, group) = (
        r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
        r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
    );
    assert_eq!(confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await.0, 200);
    let refresh_token = r["RefreshToken"].as_str().unwrap();

    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let user_page = format!("/admin/pools/{}/users/alice", f.pool);
    let page = admin.get(&app, &user_page).await.text().await.unwrap();
    assert!(
        page.contains(&format!("<td class=\"mono\">{key}</td><td>alice&#39;s laptop</td><td>Remembered</td>")),
        "{page}"
    );

    let r = admin.post(&app, &format!("{user_page}/not-remember-device"), &[("device", key)]).await;
    assert_eq!(r.status(), 303);
    let got = app.ok("AdminGetDevice", json!({"UserPoolId": f.pool, "Username": "alice", "DeviceKey": key})).await;
    assert_eq!(device_attrs(&got["Device"])["dev:device_remembered_status"], "not_remembered");
    let v = password_sign_in(&app, &f, Some(key)).await;
    assert!(v["AuthenticationResult"].is_object(), "not remembered: no device proof asked: {v}");

    let r = admin.post(&app, &format!("{user_page}/forget-device"), &[("device", key)]).await;
    assert_eq!(r.status(), 303);
    let (st, e) = refresh(&app, &f, refresh_token, Some(key)).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let page = admin.get(&app, &user_page).await.text().await.unwrap();
    assert!(!page.contains(key), "forgotten");
    let again = admin.post(&app, &format!("{user_page}/forget-device"), &[("device", key)]).await;
    assert_eq!(again.status(), 400, "no such device any more");
    let audit = admin.get(&app, &format!("/admin/events?pool={}&category=audit", f.pool)).await.text().await.unwrap();
    for action in ["AdminUpdateDeviceStatus", "AdminForgetDevice"] {
        assert!(audit.contains(action), "{action} is audited");
    }
}

#[tokio::test]
async fn device_answers_without_their_session_as_pycognito_sends_them_take_the_pending_device_step() {
    let app = TestApp::spawn().await;
    let config = json!({"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false});
    let (f, secret) = device_pool(&app, Some(config), "ON").await;
    let out = answer_totp(&app, &f, &password_sign_in(&app, &f, None).await, &secret.unwrap(), None).await;
    let r = &out["AuthenticationResult"];
    let (key, group) = (
        r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
        r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
    );
    assert_eq!(confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await.0, 200);
    let device_srp = |key: &str, c: &SrpClient| json!({"USERNAME": "alice", "DEVICE_KEY": key, "SRP_A": c.big_a});

    // Without a right password first there is no device step to take.
    let c = SrpClient::new();
    let (st, e) = respond(&app, &f, "DEVICE_SRP_AUTH", &Value::Null, device_srp(key, &c)).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "{e}");

    // After it, the step is found by the user and the device key: not by another key.
    let v = password_sign_in(&app, &f, Some(key)).await;
    assert_eq!(v["ChallengeName"], "DEVICE_SRP_AUTH", "{v}");
    let other = format!("{}_{}", key.split_once('_').unwrap().0, uuid::Uuid::new_v4());
    let (st, e) = respond(&app, &f, "DEVICE_SRP_AUTH", &Value::Null, device_srp(&other, &c)).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let (st, v) = respond(&app, &f, "DEVICE_SRP_AUTH", &Value::Null, device_srp(key, &c)).await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("DEVICE_PASSWORD_VERIFIER")), "{v}");
    let (st, e) = respond(&app, &f, "DEVICE_SRP_AUTH", &Value::Null, device_srp(key, &SrpClient::new())).await;
    assert_eq!((st, err_type(&e)), (400, "NotAuthorizedException"), "taken once: {e}");

    // The device's proof, also without the session (the secret block names the exchange).
    let p = &v["ChallengeParameters"];
    let k = c.key_named(group, key, DEVICE_PASSWORD, p["SALT"].as_str().unwrap(), p["SRP_B"].as_str().unwrap());
    let ts = timestamp(app.clock.now());
    let block = p["SECRET_BLOCK"].as_str().unwrap();
    let (st, out) = respond(
        &app,
        &f,
        "DEVICE_PASSWORD_VERIFIER",
        &Value::Null,
        json!({"USERNAME": "alice", "DEVICE_KEY": key, "PASSWORD_CLAIM_SECRET_BLOCK": block, "TIMESTAMP": ts,
               "PASSWORD_CLAIM_SIGNATURE": claim(&k, group, key, block, &ts)}),
    )
    .await;
    assert_eq!(st, 200, "{out}");
    assert_eq!(claims(out["AuthenticationResult"]["AccessToken"].as_str().unwrap())["device_key"], key);
}
