//! Imported password hashes (beyond Cognito): a user whose hash came from another system signs
//! in with their old password through USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and the
//! hosted page; that first sign-in moves them to the server's argon2id with an SRP verifier.
//! Hashes come from independent implementations: Python's hashlib (scrypt, PBKDF2) run by the
//! test, and published known answers (OpenBSD's bcrypt vectors, the argon2 reference tool's,
//! Firebase's own scrypt example).

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
use crate::aws_sdk::python;
use crate::helpers::*;
use crate::keys::cli;
use crate::metrics::{scrape, value};
use crate::srp::{SrpClient, srp_sign_in, start};
use portcullis::config::AdminMfa;
use portcullis::ids::{PoolId, Username};
use portcullis::operators::Role;
use portcullis::userpool::imported_hash::ImportedHash;
use serde_json::{Value, json};

const INCORRECT: &str = "Incorrect username or password.";
const PYTHON_PASSWORD: &str = "Imported-Pa55!";
const ARGON2ID_NOW: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// Firebase's example project parameters and user (github.com/firebase/scrypt, README).
const FIREBASE_SIGNER_KEY: &str =
    "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==";
const FIREBASE_HASH: &str = "$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==";

/// (username, stored hash, its password): the known answers.
fn known_answers() -> Vec<(&'static str, String, &'static str)> {
    let bcrypt = "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";
    vec![
        ("bcrypt-2a", bcrypt.into(), "abc"),
        ("bcrypt-2b", bcrypt.replacen("$2a$", "$2b$", 1), "abc"),
        ("bcrypt-2y", bcrypt.replacen("$2a$", "$2y$", 1), "abc"),
        (
            "argon2i",
            "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$IMit9qkFULCMA/ViizL57cnTLOa5DiVM9eMwpAvPwr4".into(),
            "password",
        ),
        (
            "argon2d",
            "$argon2d$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$cZn5d+rFh+ZfuRhm2iGUGgcrW5YLeM6q7L3vBsdmFA0".into(),
            "password",
        ),
        (
            "argon2id",
            "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo".into(),
            "password",
        ),
        ("firebase", FIREBASE_HASH.into(), "user1password"),
    ]
}

/// scrypt and the three PBKDF2 forms of [`PYTHON_PASSWORD`], made by Python's hashlib with a
/// fresh salt, written as passlib and PHC write them.
fn python_hashes() -> Vec<(&'static str, String, &'static str)> {
    let script = r#"
import base64, hashlib, os, sys
pw = sys.argv[1].encode()
b = lambda x: base64.b64encode(x).decode().rstrip("=")
ab = lambda x: b(x).replace("+", ".")
s = os.urandom(16)
print("$scrypt$ln=14,r=8,p=1$%s$%s" % (b(s), b(hashlib.scrypt(pw, salt=s, n=1 << 14, r=8, p=1, dklen=32))))
print("$pbkdf2-sha256$29000$%s$%s" % (ab(s), ab(hashlib.pbkdf2_hmac("sha256", pw, s, 29000))))
print("$pbkdf2-sha512$i=25000,l=64$%s$%s" % (b(s), b(hashlib.pbkdf2_hmac("sha512", pw, s, 25000))))
print("$pbkdf2$131000$%s$%s" % (ab(s), ab(hashlib.pbkdf2_hmac("sha1", pw, s, 131000))))
"#;
    let out = std::process::Command::new(python()).args(["-c", script, PYTHON_PASSWORD]).output().expect("python3");
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> = String::from_utf8(out.stdout).expect("utf-8").lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    let names = ["scrypt", "pbkdf2-sha256", "pbkdf2-sha512", "pbkdf2-sha1"];
    names.into_iter().zip(lines).map(|(n, h)| (n, h, PYTHON_PASSWORD)).collect()
}

/// A pool with Firebase's example parameters and a client allowing password and SRP sign-in.
async fn import_pool(app: &TestApp, client_extra: Value) -> (String, String) {
    let pool = app.create_pool(json!({})).await;
    let mut extra = json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
                                                 "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]});
    merge(&mut extra, client_extra);
    let (client, _) = app.create_client(&pool, false, extra).await;
    let id = PoolId::from(pool.clone());
    app.services.user_pools.set_firebase_scrypt(&id, FIREBASE_SIGNER_KEY, "Bw==", 8, 14).await.expect("firebase");
    (pool, client)
}

/// A user created as AdminCreateUser does, then given `hash` as an operator (or the import) would.
async fn import_user(app: &TestApp, pool: &str, username: &str, hash: &str) {
    app.ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS"})).await;
    let (id, name) = (PoolId::from(pool.to_string()), Username::from(username));
    app.services.users.set_imported_password_hash(&id, &name, hash).await.expect("set hash");
}

/// The stored hash and whether an SRP verifier is stored.
async fn stored(app: &TestApp, pool: &str, username: &str) -> (String, bool) {
    let user = app.services.store.get_user_by_username(pool, username).await.expect("store").expect("user");
    (user.password_hash.unwrap_or_default(), user.srp_verifier.is_some())
}

fn refused(st: u16, v: &Value, what: &str) {
    assert_eq!((st, err_type(v), err_message(v)), (400, "NotAuthorizedException", INCORRECT), "{what}: {v}");
}

#[tokio::test]
async fn every_format_signs_in_with_the_old_password_then_as_argon2id() {
    let app = TestApp::spawn().await;
    let (pool, client) = import_pool(&app, json!({})).await;
    let users: Vec<_> = known_answers().into_iter().chain(python_hashes()).collect();
    for (name, hash, _) in &users {
        import_user(&app, &pool, name, hash).await;
        assert_eq!(stored(&app, &pool, name).await, (hash.clone(), false), "{name}");
    }
    for (name, hash, password) in &users {
        let (st, v) = initiate_auth(&app, &client, name, &format!("{password}x")).await;
        refused(st, &v, &format!("{name}, wrong password"));
        assert_eq!(stored(&app, &pool, name).await.0, *hash, "{name}: a wrong password changes nothing");

        let (st, v) = initiate_auth(&app, &client, name, password).await;
        assert_eq!(st, 200, "{name}: {v}");
        assert!(v["AuthenticationResult"]["AccessToken"].is_string(), "{name}: {v}");
        let (now, verifier) = stored(&app, &pool, name).await;
        assert!(now.starts_with(ARGON2ID_NOW), "{name}: {now}");
        assert!(verifier, "{name}: the SRP verifier is stored with the new hash");

        // From now on like any other user: the password again, and SRP.
        let (st, v) = initiate_auth(&app, &client, name, password).await;
        assert_eq!(st, 200, "{name}, second sign-in: {v}");
        assert_eq!(stored(&app, &pool, name).await.0, now, "{name}: hashed once");
        let (st, v) = srp_sign_in(&app, &pool, &client, name, password).await;
        assert_eq!(st, 200, "{name}, SRP: {v}");
        let (st, v) = initiate_auth(&app, &client, name, "wrong-password").await;
        refused(st, &v, &format!("{name}, wrong password after the upgrade"));
    }
}

#[tokio::test]
async fn admin_password_auth_and_the_hosted_page_upgrade_imported_users() {
    let app = TestApp::spawn().await;
    let (pool, client) = import_pool(&app, json!({})).await;
    let hashes = python_hashes();
    let (_, pbkdf2, password) = &hashes[1];
    import_user(&app, &pool, "admin-path", pbkdf2).await;
    let before = scrape(&app).await;
    let (st, v) = admin_auth(&app, &pool, &client, "admin-path", "Wrong-Pa55!").await;
    refused(st, &v, "admin path, wrong password");
    let (st, v) = admin_auth(&app, &pool, &client, "admin-path", password).await;
    assert_eq!(st, 200, "{v}");
    assert!(stored(&app, &pool, "admin-path").await.0.starts_with(ARGON2ID_NOW));

    import_user(&app, &pool, "page-path", FIREBASE_HASH).await;
    let f = Flow {
        pool: pool.clone(),
        client_id: client.clone(),
        secret: None,
        verifier: String::new(),
        challenge: pkce().1,
    };
    let browser = app.browser();
    // A wrong password reads as an unknown name's does (only the CSRF field and the echoed name differ).
    let mut pages = Vec::new();
    for user in ["page-path", "nobody"] {
        let r = sign_in(&browser, &f.authorize_url(&app, ""), user, "user1passwore").await;
        assert_eq!(r.status(), 400, "a wrong password stays on the page");
        let html = r.text().await.expect("page");
        assert!(html.contains(INCORRECT), "{html}");
        pages.push(
            html.replace(&hidden(&html, "_csrf"), "CSRF").replace(&format!("value=\"{user}\""), "value=\"NAME\""),
        );
    }
    assert_eq!(pages[0], pages[1], "an imported user's wrong password reads as an unknown name's");
    assert_eq!(stored(&app, &pool, "page-path").await.0, FIREBASE_HASH);
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "page-path", "user1password").await;
    assert_eq!(r.status(), 302, "{}", r.text().await.unwrap_or_default());
    let (now, verifier) = stored(&app, &pool, "page-path").await;
    assert!(now.starts_with(ARGON2ID_NOW) && verifier, "{now}");

    // Counted as an argon2 user's sign-ins are, and the upgrades besides.
    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    let sign_in = |outcome, reason| [("event", "SignIn"), ("outcome", outcome), ("reason", reason)];
    assert!(grew("portcullis_auth_events_total", &sign_in("Pass", "none")) >= 2.0, "{after}");
    assert!(grew("portcullis_auth_events_total", &sign_in("Fail", "bad_password")) >= 2.0, "{after}");
    assert!(grew("portcullis_password_hash_upgrades_total", &[]) >= 2.0, "{after}");
}

/// USER_SRP_AUTH cannot check a foreign hash (there is no verifier until the password is seen):
/// the answer is that of any user without a verifier, and no more than an unknown name's when
/// existence is hidden.
#[tokio::test]
async fn srp_before_the_first_password_sign_in_answers_as_for_any_user_without_a_verifier() {
    let app = TestApp::spawn().await;
    let (pool, client) = import_pool(&app, json!({})).await;
    import_user(&app, &pool, "brenda", FIREBASE_HASH).await;
    let (st, v) = start(&app, &client, "brenda", &SrpClient::new()).await;
    assert_eq!((st, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    assert!(err_message(&v).contains("sign in once with the password"), "{v}");

    let (hidden, _) = app
        .create_client(
            &pool,
            false,
            json!({"PreventUserExistenceErrors": "ENABLED",
                   "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await;
    let (st, v) = srp_sign_in(&app, &pool, &hidden, "brenda", "user1password").await;
    refused(st, &v, "imported user, SRP, existence hidden");
    let (st, v) = srp_sign_in(&app, &pool, &hidden, "nobody", "user1password").await;
    refused(st, &v, "unknown user, SRP, existence hidden");
    assert_eq!(stored(&app, &pool, "brenda").await, (FIREBASE_HASH.to_string(), false));

    let (st, v) = initiate_auth(&app, &hidden, "brenda", "user1password").await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = srp_sign_in(&app, &pool, &hidden, "brenda", "user1password").await;
    assert_eq!(st, 200, "SRP after the first password sign-in: {v}");
}

#[tokio::test]
async fn malformed_unknown_and_costly_hashes_are_refused_at_parse() {
    let app = TestApp::spawn().await;
    let (pool, client) = import_pool(&app, json!({})).await;
    app.ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": "carl", "MessageAction": "SUPPRESS"})).await;
    let (id, carl) = (PoolId::from(pool.clone()), Username::from("carl"));
    let before = stored(&app, &pool, "carl").await;
    for (bad, says) in [
        ("hunter2", "Unknown password hash format"),
        ("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", "Unknown password hash format"),
        ("$2b$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf", "Malformed bcrypt"),
        ("$2b$25$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "too much work"),
        ("$argon2id$v=19$m=4194304,t=1,p=1$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo", "too much work"),
        ("$scrypt$ln=14,r=8$c2FsdA$aGFzaA", "Malformed scrypt"),
        ("$pbkdf2-sha256$notanumber$c2FsdA$aGFzaA", "Malformed pbkdf2-sha256"),
        ("$firebase-scrypt$only-one-part", "Malformed firebase-scrypt"),
    ] {
        let parsed = ImportedHash::parse(bad);
        assert!(parsed.as_ref().is_err_and(|e| e.to_string().contains(says)), "{bad}: {parsed:?}");
        let e = app.services.users.set_imported_password_hash(&id, &carl, bad).await.expect_err(bad);
        assert!(e.to_string().contains(says), "{bad}: {e}");
    }
    assert_eq!(stored(&app, &pool, "carl").await, before, "nothing was stored");
    let (st, v) = initiate_auth(&app, &client, "carl", "hunter2").await;
    refused(st, &v, "a refused hash is not a password");

    // Firebase parameters are checked too, and a Firebase hash needs its pool's.
    let e = app.services.user_pools.set_firebase_scrypt(&id, "", "Bw==", 8, 14).await.expect_err("empty key");
    assert!(e.to_string().contains("signer key"), "{e}");
    let e = app.services.user_pools.set_firebase_scrypt(&id, FIREBASE_SIGNER_KEY, "Bw==", 8, 20).await;
    assert!(e.is_err_and(|e| e.to_string().contains("too much work")));
    let other = app.create_pool(json!({})).await;
    let (other_client, _) = app.create_client(&other, false, json!({})).await;
    import_user(&app, &other, "dora", FIREBASE_HASH).await;
    let (st, v) = initiate_auth(&app, &other_client, "dora", "user1password").await;
    refused(st, &v, "a Firebase hash in a pool without Firebase parameters");
}

#[tokio::test]
async fn imported_users_lock_out_like_any_other() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let (pool, client) = import_pool(&app, json!({})).await;
    let bcrypt = known_answers().remove(0).1;
    import_user(&app, &pool, "erin", &bcrypt).await;
    for i in 0..5 {
        let (st, v) = initiate_auth(&app, &client, "erin", "abd").await;
        refused(st, &v, &format!("failure {i}"));
    }
    let (st, v) = initiate_auth(&app, &client, "erin", "abc").await;
    assert_eq!((st, err_message(&v)), (400, "Password attempts exceeded"), "{v}");
    assert_eq!(stored(&app, &pool, "erin").await.0, bcrypt, "a refused guess upgrades nothing");
    app.clock.advance_secs(3);
    let (st, v) = initiate_auth(&app, &client, "erin", "abc").await;
    assert_eq!(st, 200, "after the lock: {v}");
}

/// The operator's way in until the import column lands: the real binary sets a pool's Firebase
/// parameters (signer key from a file, stored sealed) and a user's hash, against the running
/// server's database; a bad hash is refused with the parser's message.
#[tokio::test]
async fn the_cli_sets_firebase_parameters_and_a_users_hash() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    app.ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": "fred", "MessageAction": "SUPPRESS"})).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("signer-key");
    std::fs::write(&key_file, format!("{FIREBASE_SIGNER_KEY}\n")).expect("key file");
    let key_path = key_file.to_string_lossy().to_string();
    let args = ["--salt-separator", "Bw==", "--rounds", "8", "--mem-cost", "14", "--signer-key-file", &key_path];
    let out = cli(&app, &[&["pools", "set-firebase-scrypt", "--pool", &pool][..], &args].concat(), &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let row = app.services.store.get_firebase_scrypt(&pool).await.expect("store").expect("row");
    assert!(row.signer_key_enc.starts_with("v1.") && !row.signer_key_enc.contains("jxspr8"), "sealed");

    let out =
        cli(&app, &["users", "set-password-hash", "--pool", &pool, "--username", "fred", "--hash", "md5:x"], &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unknown password hash format"));
    let set = ["users", "set-password-hash", "--pool", &pool, "--username", "fred", "--hash", FIREBASE_HASH];
    let out = cli(&app, &set, &[]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (st, v) = initiate_auth(&app, &client, "fred", "user1password").await;
    assert_eq!(st, 200, "{v}");
    assert!(stored(&app, &pool, "fred").await.0.starts_with(ARGON2ID_NOW));
}

/// The dashboard sets a pool's Firebase parameters (admins only, audited without the key, the
/// key never shown), and a Firebase user then signs in.
#[tokio::test]
async fn admins_set_the_firebase_parameters_from_the_dashboard() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    import_user(&app, &pool, "gina", FIREBASE_HASH).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let base = format!("/admin/pools/{pool}/integrations");
    assert!(admin.get(&app, &base).await.text().await.unwrap().contains("Not set."));
    let form = |rounds| {
        [("signer_key", FIREBASE_SIGNER_KEY), ("salt_separator", "Bw=="), ("rounds", rounds), ("mem_cost", "14")]
    };
    let bad = admin.post(&app, &format!("{base}/firebase-scrypt"), &form("many")).await;
    assert_eq!(bad.status(), 400, "a form error");
    let (st, v) = initiate_auth(&app, &client, "gina", "user1password").await;
    refused(st, &v, "no parameters yet");

    let t = app.services.operators.create_operator(&Username::from("op"), Role::Operator).await.unwrap();
    let operator = sign_in_dashboard(&app, "op", &t, Some("New-Passw0rd!x"), None).await;
    let refused_op = operator.post(&app, &format!("{base}/firebase-scrypt"), &form("8")).await;
    assert_eq!(refused_op.status(), 403, "an admin setting");

    let r = admin.post(&app, &format!("{base}/firebase-scrypt"), &form("8")).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let page = admin.get(&app, &base).await.text().await.unwrap();
    assert!(page.contains("rounds 8, memory cost 14") && !page.contains("jxspr8"), "the key is never shown");
    let audit =
        admin.get(&app, &format!("/admin/events/export/csv?pool={pool}&category=audit")).await.text().await.unwrap();
    assert!(audit.contains("SetFirebaseScryptParameters") && !audit.contains("jxspr8"), "audited without the key");
    let (st, v) = initiate_auth(&app, &client, "gina", "user1password").await;
    assert_eq!(st, 200, "{v}");
}
