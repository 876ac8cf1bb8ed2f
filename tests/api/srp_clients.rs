//! USER_SRP_AUTH with the clients people use, each with its own SRP code: pycognito's `AWSSRP`
//! over boto3 (`tests/boto3/srp.py`: tokens, a wrong password, NEW_PASSWORD_REQUIRED, then
//! SOFTWARE_TOKEN_MFA) and amazon-cognito-identity-js's `CognitoUser.authenticateUser` in Node
//! (`tests/node/srp.cjs`). The test installs them itself: pycognito with pip into
//! `target/pydeps-srp` (a missing `python3` or a failed install fails the test, as for boto3),
//! the JS library with npm into `target/nodedeps` (see `node.rs`); without `node`/`npm`, or when
//! npm cannot fetch the package (no network), the Node part is skipped with a message, unless
//! `PORTCULLIS_REQUIRE_NODE` is set.

use crate::aws_sdk::{isolated_command, run_to_end};
use crate::helpers::*;
use crate::mfa::{mfa_pool, set_up_totp};
use crate::node::{js_modules_or_skip, script, summary};
use portcullis::clock::Clock;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) fn python() -> String {
    std::env::var("PORTCULLIS_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn target_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(name)
}

fn imports(python: &str, module: &str, path: &Path) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {module}")])
        .env("PYTHONPATH", path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A directory where pycognito (and boto3 with it) imports, installed with pip on first use.
pub(crate) fn pycognito_path(python: &str) -> PathBuf {
    let deps = target_dir("pydeps-srp");
    if !imports(python, "pycognito", &deps) {
        let status = Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&deps)
            .arg("pycognito")
            .status()
            .unwrap_or_else(|e| panic!("`{python}` is required for the pycognito test and could not be run: {e}"));
        assert!(status.success(), "pip install --target {} pycognito failed", deps.display());
        assert!(imports(python, "pycognito", &deps), "pycognito still not importable from {}", deps.display());
    }
    deps
}

fn srp_client() -> Value {
    json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})
}

#[tokio::test]
async fn srp_pycognito_signs_in_and_walks_the_challenges() {
    let python = python();
    let deps = pycognito_path(&python);
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": f.pool, "Username": "tina", "TemporaryPassword": "Temp-Pass-123", "MessageAction": "SUPPRESS"}),
    )
    .await;
    let m = mfa_pool(&app, "ON", false).await;
    let secret = set_up_totp(&app, &m).await;
    let (mfa_client, _) = app.create_client(&m.pool, false, srp_client()).await;
    // The next time step, so the code pycognito's caller computes is not the set-up one.
    app.clock.advance_secs(30);
    let at = app.clock.now().to_string();

    let dir = tempfile::tempdir().expect("tempdir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3/srp.py");
    let mut cmd = isolated_command(&python, dir.path());
    cmd.arg(&script).arg(&app.base).env("PYTHONPATH", &deps).env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in [
        ("SRP_POOL", f.pool.as_str()),
        ("SRP_CLIENT", f.client_id.as_str()),
        ("SRP_USER", "alice"),
        ("SRP_PASSWORD", PASSWORD),
        ("SRP_TEMP_USER", "tina"),
        ("SRP_TEMP_PASSWORD", "Temp-Pass-123"),
        ("SRP_MFA_POOL", m.pool.as_str()),
        ("SRP_MFA_CLIENT", mfa_client.as_str()),
        ("SRP_MFA_USER", "alice"),
        ("SRP_MFA_PASSWORD", PASSWORD),
        ("SRP_MFA_SECRET", secret.as_str()),
        ("SRP_MFA_AT", at.as_str()),
    ] {
        cmd.env(k, v);
    }
    let (ok, out, err) = run_to_end(cmd, dir.path(), "pycognito srp.py").await;
    let s = summary(ok, &out, &err, "pycognito");
    assert_eq!(
        s["passed"],
        json!(["tokens", "wrong password refused", "new password required", "software token mfa"]),
        "{s}"
    );
}

#[tokio::test]
async fn srp_amazon_cognito_identity_js_signs_in() {
    let Some(modules) = js_modules_or_skip("srp_amazon_cognito_identity_js_signs_in") else {
        return;
    };
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = isolated_command("node", dir.path());
    cmd.arg(script("srp.cjs"))
        .arg(&app.base)
        .env("NODE_PATH", &modules)
        .env("SRP_POOL", &f.pool)
        .env("SRP_CLIENT", &f.client_id)
        .env("SRP_USER", "alice")
        .env("SRP_PASSWORD", PASSWORD);
    let (ok, out, err) = run_to_end(cmd, dir.path(), "node srp.cjs").await;
    let s = summary(ok, &out, &err, "amazon-cognito-identity-js");
    assert_eq!(s["passed"], json!(["tokens", "wrong password refused"]), "{s}");
}
