//! Node.js and the JS client libraries the tests drive (amazon-cognito-identity-js and Amplify
//! JS v6), installed with npm into `target/nodedeps` on first use; a runner for the scripts in
//! `tests/node` that answers their requests for mailed codes; and the JSON summary those scripts
//! (and the Python ones) end with. Without `node`/`npm`, or when npm cannot fetch the packages
//! (no network), a test is skipped with a message, unless `PORTCULLIS_REQUIRE_NODE` is set.

use crate::aws_sdk::SCRIPT_TIMEOUT;
use crate::smtp::SmtpSink;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// What npm installs: (the package's directory in `node_modules`, the spec given to npm).
const PACKAGES: &[(&str, &str)] =
    &[("amazon-cognito-identity-js", "amazon-cognito-identity-js@6"), ("aws-amplify", "aws-amplify@6")];

/// A script in `tests/node`.
pub(crate) fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node").join(name)
}

/// `node_modules` with the JS client libraries, installed with npm on first use (once per test
/// process, so tests running side by side never run npm on the same directory); `Err` says why
/// there is none.
fn js_modules() -> Result<PathBuf, String> {
    static MODULES: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    MODULES.get_or_init(install).clone()
}

fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("nodedeps");
    let modules = dir.join("node_modules");
    if PACKAGES.iter().all(|(name, _)| modules.join(name).join("package.json").exists()) {
        return Ok(modules);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(&dir)
        .args(PACKAGES.iter().map(|(_, spec)| spec))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("npm could not be run ({e})"))?;
    if !out.status.success() {
        return Err(format!("npm install failed (no network?): {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(modules)
}

/// The `node_modules` for test `test`, or `None` after printing why it is skipped: no `node`, or
/// no libraries. With `PORTCULLIS_REQUIRE_NODE` set, either fails the test instead.
pub(crate) fn js_modules_or_skip(test: &str) -> Option<PathBuf> {
    let required = std::env::var_os("PORTCULLIS_REQUIRE_NODE").is_some();
    let node_found = Command::new("node").arg("--version").stdout(Stdio::null()).status().is_ok_and(|s| s.success());
    let modules = if node_found { js_modules() } else { Err("node is not installed".into()) };
    match modules {
        Ok(m) => Some(m),
        Err(why) if !required => {
            eprintln!("SKIPPED {test}: {why} (PORTCULLIS_REQUIRE_NODE makes this fail)");
            None
        }
        Err(why) => panic!("the JS client libraries are required: {why}"),
    }
}

/// The JSON summary on the last line of a script's stdout, insisting that the script succeeded.
pub(crate) fn summary(ok: bool, stdout: &str, stderr: &str, what: &str) -> Value {
    assert!(ok, "{what} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("no JSON summary ({e}) from {what}:\n{stdout}\n{stderr}"))
}

/// Run `cmd` to its end with a timeout, without blocking the runtime the server under test runs
/// on: (exit success, stdout, stderr). A line `CODE? ADDRESS` on the script's stdout is answered
/// on its stdin with the code of the next mail to ADDRESS that `sink` received (the first such
/// line for an address gets the first mail to it, the second the second, …). Stderr goes through
/// a file in `dir`.
pub(crate) async fn run_answering_codes(
    mut cmd: Command,
    dir: &Path,
    sink: &SmtpSink,
    what: &str,
) -> (bool, String, String) {
    let err_path = dir.join("stderr");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(std::fs::File::create(&err_path).expect("stderr file"));
    let mut child =
        cmd.spawn().unwrap_or_else(|e| panic!("{what} is required for this test and could not be run: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = String::new();
    let mut asked: HashMap<String, usize> = HashMap::new();
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let status = loop {
        while let Ok(line) = lines.try_recv() {
            if let Some(address) = line.strip_prefix("CODE? ") {
                let n = asked.entry(address.to_string()).or_default();
                let code = sink.nth_to(address, *n).await.code();
                *n += 1;
                // A script that died meanwhile shows in its exit status, not here.
                let _ = writeln!(stdin, "{code}");
            }
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} timed out after {SCRIPT_TIMEOUT:?}; stdout:\n{out}\nstderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(stdin);
    let _ = reader.join();
    out.extend(lines.try_iter().map(|l| l + "\n"));
    let stderr = std::fs::read_to_string(&err_path).expect("read stderr");
    (status.success(), out, stderr)
}
