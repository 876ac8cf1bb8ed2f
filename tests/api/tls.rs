//! HTTPS (PORTCULLIS_TLS_CERT/KEY): served with HTTP/2 by ALPN and HSTS, the certificate
//! reloaded in place (in-process and by a real SIGHUP to the binary), a bad file on reload
//! keeping the old one; no HSTS on plain http unless a trusted proxy says the client used https;
//! and `portcullis doctor` against a running deployment.

use crate::helpers::{ACCESS_KEY, SECRET_KEY, TestApp, TestDatabase};
use crate::keys::cli;
use crate::smtp::SmtpSink;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A self-signed certificate for `localhost` and `127.0.0.1` with its key, as PEM and DER.
struct Pair {
    cert_pem: String,
    key_pem: String,
    cert_der: Vec<u8>,
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

fn self_signed(common_name: &str, serial: u64) -> Pair {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, common_name);
    params.serial_number = Some(rcgen::SerialNumber::from(serial));
    let cert = params.self_signed(&key).unwrap();
    Pair {
        cert_pem: pem("CERTIFICATE", cert.der()),
        key_pem: pem("PRIVATE KEY", &key.serialize_der()),
        cert_der: cert.der().to_vec(),
    }
}

/// The certificate files of a test, in a directory of their own.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new(pair: &Pair) -> Files {
        let f = Files { dir: tempfile::tempdir().unwrap() };
        f.write(pair);
        f
    }
    fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }
    fn key(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }
    fn write(&self, pair: &Pair) {
        std::fs::write(self.cert(), &pair.cert_pem).unwrap();
        std::fs::write(self.key(), &pair.key_pem).unwrap();
    }
}

/// A client that trusts `pair`'s certificate and nothing else, on a fresh connection pool.
fn client_trusting(pair: &Pair) -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_der(&pair.cert_der).unwrap())
        .tls_info(true)
        .build()
        .unwrap()
}

/// The certificate the server presented on the connection of `resp`.
fn peer_cert(resp: &reqwest::Response) -> Vec<u8> {
    let info = resp.extensions().get::<reqwest::tls::TlsInfo>().expect("TLS info");
    info.peer_certificate().expect("a peer certificate").to_vec()
}

async fn spawn_tls(files: &Files) -> TestApp {
    let (cert, key) = (files.cert(), files.key());
    TestApp::spawn_with(move |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await
}

#[tokio::test]
async fn https_serves_http2_by_alpn_with_hsts() {
    let first = self_signed("first.portcullis.test", 1);
    let files = Files::new(&first);
    let app = spawn_tls(&files).await;
    assert!(app.base.starts_with("https://127.0.0.1:"), "{}", app.base);
    let url = format!("{}/health/ready", app.base);

    let resp = client_trusting(&first).get(&url).send().await.expect("https request");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2, "h2 chosen by ALPN");
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");
    assert_eq!(peer_cert(&resp), first.cert_der);

    // HTTP/1.1 clients are served too (ALPN offers both), with HSTS.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let h1 = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_der(&first.cert_der).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let resp = h1.get(&url).send().await.unwrap();
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");

    // A client that does not trust the certificate is refused; plain http on the TLS port gets nothing.
    let other = self_signed("other.portcullis.test", 9);
    assert!(client_trusting(&other).get(&url).send().await.is_err());
    let plain = format!("http://127.0.0.1:{}/health/ready", app.port);
    let plain_answered = reqwest::get(&plain).await.is_ok_and(|r| r.status().is_success());
    assert!(!plain_answered, "plain http on the TLS port is not served");
}

#[tokio::test]
async fn a_reload_serves_the_new_certificate_to_new_connections_and_a_bad_file_keeps_the_old_one() {
    let first = self_signed("first.portcullis.test", 1);
    let files = Files::new(&first);
    let app = spawn_tls(&files).await;
    let store = app.tls.clone().expect("TLS configured");
    let url = format!("{}/health/ready", app.base);
    let old_client = client_trusting(&first);
    let resp = old_client.get(&url).send().await.unwrap();
    assert_eq!(peer_cert(&resp), first.cert_der);

    let second = self_signed("second.portcullis.test", 2);
    files.write(&second);
    let info = store.reload().expect("the new pair loads");
    assert!(info.subject.contains("CN=second.portcullis.test"), "{}", info.subject);
    // A new connection, trusting only the new certificate, gets it.
    let resp = client_trusting(&second).get(&url).send().await.expect("new cert served");
    assert_eq!(resp.status(), 200);
    assert_eq!(peer_cert(&resp), second.cert_der);
    // The open connection was not dropped: the old client (which trusts only the old
    // certificate, so could not open a new connection) still gets answers on it.
    let resp = old_client.get(&url).send().await.expect("the open connection survives the reload");
    assert_eq!(resp.status(), 200);
    assert_eq!(peer_cert(&resp), first.cert_der);
    assert!(client_trusting(&first).get(&url).send().await.is_err(), "new connections no longer get the old cert");

    // A key file that is not a key: the reload fails naming the file, the second pair stays.
    std::fs::write(files.key(), "not a key").unwrap();
    let err = store.reload().expect_err("a bad key file is refused").to_string();
    assert!(err.contains(&files.key().display().to_string()) && err.contains("no PRIVATE KEY"), "{err}");
    // A certificate that is not the key's: refused too.
    let third = self_signed("third.portcullis.test", 3);
    std::fs::write(files.cert(), &third.cert_pem).unwrap();
    std::fs::write(files.key(), &second.key_pem).unwrap();
    let err = store.reload().expect_err("mismatched pair").to_string();
    assert!(err.contains("does not belong to the certificate"), "{err}");
    assert!(store.current().subject.contains("second.portcullis.test"));
    let resp = client_trusting(&second).get(&url).send().await.expect("the second cert is still served");
    assert_eq!(peer_cert(&resp), second.cert_der);
}

#[tokio::test]
async fn plain_http_carries_no_hsts_unless_a_trusted_proxy_says_https() {
    // An https public URL served directly over plain http: no HSTS (this used to be sent).
    let app = TestApp::spawn_with(|c| c.public_url = "https://id.portcullis.test".into()).await;
    let url = format!("{}/health/ready", app.base);
    let resp = app.http.get(&url).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("strict-transport-security").is_none(), "untrusted X-Forwarded-Proto is ignored");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");

    let app = TestApp::spawn_with(|c| {
        c.public_url = "https://id.portcullis.test".into();
        c.trusted_proxies = portcullis::web::client::parse_cidrs("127.0.0.1/32").unwrap();
    })
    .await;
    let url = format!("{}/health/ready", app.base);
    let resp = app.http.get(&url).header("x-forwarded-proto", "https").send().await.unwrap();
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");
    let resp = app.http.get(&url).header("forwarded", "proto=https").send().await.unwrap();
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");
    for proto in [Some("http"), None] {
        let mut req = app.http.get(&url);
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.headers().get("strict-transport-security").is_none(), "{proto:?}");
    }

    // A plain http public URL: a proxy's https claim does not add HSTS either.
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = portcullis::web::client::parse_cidrs("127.0.0.1/32").unwrap();
    })
    .await;
    let resp =
        app.http.get(format!("{}/health/ready", app.base)).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(resp.headers().get("strict-transport-security").is_none());
}

#[tokio::test]
async fn a_start_with_a_missing_or_bad_tls_file_fails_naming_it() {
    let first = self_signed("first.portcullis.test", 1);
    let files = Files::new(&first);
    std::fs::write(files.cert(), "garbage").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let config = portcullis::config::Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        database_url: Some(database.url.clone()),
        tls_cert: Some(files.cert()),
        tls_key: Some(files.key()),
        ..portcullis::config::Config::default()
    };
    let err = portcullis::startup::Application::build(config.clone()).await.err().expect("refused").to_string();
    assert!(err.contains(&format!("TLS certificate file {}", files.cert().display())), "{err}");
    assert!(err.contains("no CERTIFICATE block"), "{err}");
    let missing = dir.path().join("nope.pem");
    let config = portcullis::config::Config { tls_key: Some(missing.clone()), ..config };
    std::fs::write(files.cert(), &first.cert_pem).unwrap();
    let err = portcullis::startup::Application::build(config).await.err().expect("refused").to_string();
    assert!(err.contains(&format!("TLS key file {}: cannot read it", missing.display())), "{err}");
    // Refused before anything was written.
    assert!(!dir.path().join("master.key").exists());
}

/// The `portcullis` binary running `serve`, its output collected; killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub output: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &Path, database_url: &str, files: &Files) -> (Server, u16) {
    serve_with(data_dir, database_url, &[("PORTCULLIS_TLS_CERT", files.cert()), ("PORTCULLIS_TLS_KEY", files.key())])
}

/// `portcullis serve` on `database_url` with more environment variables; its port once it listens.
pub fn serve_with(data_dir: &Path, database_url: &str, env: &[(&str, impl AsRef<std::ffi::OsStr>)]) -> (Server, u16) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PORTCULLIS_") || k.starts_with("OTEL_")) {
        cmd.env_remove(k);
    }
    cmd.arg("serve")
        .env("PORTCULLIS_LISTEN", "127.0.0.1:0")
        .env("PORTCULLIS_DATA_DIR", data_dir)
        .env("PORTCULLIS_DATABASE_URL", database_url)
        .envs(env.iter().map(|(k, v)| (k, v.as_ref())))
        .env("PORTCULLIS_ADMIN_ACCESS_KEY_ID", ACCESS_KEY)
        .env("PORTCULLIS_ADMIN_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("RUST_LOG", "portcullis=info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("run portcullis serve");
    let stdout = child.stdout.take().unwrap();
    let output = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = output.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line.strip_prefix("Portcullis listening on port ") {
                let _ = tx.send(port.trim().parse::<u16>().unwrap());
            }
            sink.lock().unwrap().push_str(&line);
            sink.lock().unwrap().push('\n');
        }
    });
    let server = Server { child, output };
    let port = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("the server did not start:\n{}", server.output.lock().unwrap()));
    (server, port)
}

#[tokio::test]
async fn sighup_to_the_binary_reloads_the_certificate_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    let first = self_signed("first.portcullis.test", 1);
    let files = Files::new(&first);
    // Blocks this test's runtime while the binary starts; the server is another process.
    let (mut server, port) = serve(dir.path(), &database.url, &files);
    let url = format!("https://127.0.0.1:{port}/health/ready");
    let resp = client_trusting(&first).get(&url).send().await.expect("served over https");
    assert_eq!(peer_cert(&resp), first.cert_der);

    let second = self_signed("second.portcullis.test", 2);
    files.write(&second);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let resp = loop {
        if let Ok(r) = client_trusting(&second).get(&url).send().await {
            break r;
        }
        assert!(Instant::now() < deadline, "no reload:\n{}", server.output.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(peer_cert(&resp), second.cert_der);
    assert!(server.child.try_wait().unwrap().is_none(), "the process kept running");
    let log = server.output.lock().unwrap().clone();
    let reloaded = log.lines().find(|l| l.contains("TLS certificate reloaded")).expect("the reload is logged");
    assert!(reloaded.contains("second.portcullis.test") && reloaded.contains("expires"), "{reloaded}");

    // A bad file and another SIGHUP: logged with the file, the second certificate stays.
    std::fs::write(files.cert(), "garbage").unwrap();
    assert!(Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.output.lock().unwrap().contains("TLS reload failed") {
        assert!(Instant::now() < deadline, "no failure logged:\n{}", server.output.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = server.output.lock().unwrap().clone();
    let failed = log.lines().find(|l| l.contains("TLS reload failed")).unwrap();
    assert!(failed.contains(&files.cert().display().to_string()), "{failed}");
    let resp = client_trusting(&second).get(&url).send().await.expect("still served");
    assert_eq!(peer_cert(&resp), second.cert_der);
    assert!(server.child.try_wait().unwrap().is_none());
    drop(server);
}

/// A free local port where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn master_key_file(app: &TestApp) -> String {
    std::fs::read_to_string(app.config.data_dir.join("master.key")).unwrap().trim().to_string()
}

#[tokio::test]
async fn doctor_passes_a_good_deployment_without_printing_secrets() {
    let app = TestApp::spawn().await;
    let sink = SmtpSink::start().await;
    let pair = self_signed("doctor.portcullis.test", 5);
    let files = Files::new(&pair);
    let (cert, key) = (files.cert().display().to_string(), files.key().display().to_string());
    let env = [
        ("PORTCULLIS_SMTP_URL", sink.url()),
        // The certificate names localhost, and the public URL is https there.
        ("PORTCULLIS_PUBLIC_URL", "https://localhost:9240".to_string()),
        ("PORTCULLIS_TLS_CERT", cert),
        ("PORTCULLIS_TLS_KEY", key),
        ("PORTCULLIS_ADMIN_ACCESS_KEY_ID", ACCESS_KEY.to_string()),
        ("PORTCULLIS_ADMIN_SECRET_ACCESS_KEY", SECRET_KEY.to_string()),
        ("PORTCULLIS_ADMIN_USERNAME", "root".to_string()),
        ("PORTCULLIS_ADMIN_PASSWORD", "Doctor-Secret-Pw-1".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = cli(&app, &["doctor"], &env).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for check in ["config", "public URL", "listen", "database", "master key", "TLS", "mail", "data dir"] {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("ok   {check}: "))), "no ok {check}:\n{stdout}");
    }
    assert!(!stdout.contains("FAIL") && !stdout.contains("warn"), "{stdout}");
    let db_line = stdout.lines().find(|l| l.starts_with("ok   database")).unwrap();
    assert!(db_line.contains("every migration applied"), "{db_line}");
    let tls_line = stdout.lines().find(|l| l.starts_with("ok   TLS")).unwrap();
    assert!(tls_line.contains("doctor.portcullis.test") && tls_line.contains("valid until"), "{tls_line}");
    for secret in [SECRET_KEY, "Doctor-Secret-Pw-1", &master_key_file(&app)] {
        assert!(!stdout.contains(secret) && !String::from_utf8_lossy(&out.stderr).contains(secret));
    }
    if crate::helpers::backend() == "sqlite" {
        assert!(stdout.lines().any(|l| l.starts_with("ok   disk: ")), "no ok disk:\n{stdout}");
        // A disk with less room than the database is set to need fails, with the fix.
        let mut env = env.clone();
        env.push(("PORTCULLIS_MIN_FREE_DISK_MB", "1000000000"));
        let out = cli(&app, &["doctor"], &env).await;
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(!out.status.success(), "{stdout}");
        let disk = stdout.lines().find(|l| l.starts_with("FAIL disk: ")).unwrap_or_else(|| panic!("{stdout}"));
        assert!(disk.contains("the disk is full") && disk.contains("fix: free space"), "{disk}");
    }
}

#[tokio::test]
async fn doctor_fails_on_an_unreachable_smtp_server_naming_the_fix() {
    let app = TestApp::spawn().await;
    let url = format!("smtp://mailer:Smtp-Pw-Secret@127.0.0.1:{}", closed_port());
    let out = cli(&app, &["doctor"], &[("PORTCULLIS_SMTP_URL", &url)]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("FAIL mail:")).expect("a FAIL mail line");
    assert!(
        line.contains("cannot reach SMTP server 127.0.0.1:") && line.contains("fix: check PORTCULLIS_SMTP_URL"),
        "{line}"
    );
    assert!(stdout.lines().any(|l| l.starts_with("ok   database")), "the other checks still run:\n{stdout}");
    assert!(!stdout.contains("Smtp-Pw-Secret"), "{stdout}");
}

#[tokio::test]
async fn doctor_fails_when_the_master_key_does_not_open_the_signing_keys() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(serde_json::json!({})).await;
    use base64::Engine;
    let wrong = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    let out = cli(&app, &["doctor"], &[("PORTCULLIS_MASTER_KEY", &wrong)]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("FAIL master key:")).expect("a FAIL master key line");
    assert!(line.contains(&pool) && line.contains("fix: use the PORTCULLIS_MASTER_KEY"), "{line}");
    assert!(!stdout.contains(&wrong) && !stdout.contains(&master_key_file(&app)), "{stdout}");

    // The right key (the data directory's) opens every key: no FAIL.
    let out = cli(&app, &["doctor"], &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("ok   master key:")), "{stdout}");
}

#[tokio::test]
async fn doctor_reports_pending_migrations_without_applying_them() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(dir.path()).await;
    // An empty database (the SQLite file created, nothing applied).
    let timeout = Duration::from_secs(5);
    portcullis::store::Store::connect_unmigrated(&database.url, 1, timeout).await.unwrap().close().await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PORTCULLIS_")) {
        cmd.env_remove(k);
    }
    cmd.arg("doctor")
        .env("PORTCULLIS_DATABASE_URL", &database.url)
        .env("PORTCULLIS_DATA_DIR", dir.path())
        .env("RUST_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "warnings only:\n{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("warn database:")).expect("a warn database line");
    assert!(line.contains("migrations pending") && line.contains("`portcullis serve` applies them"), "{line}");
    assert!(stdout.lines().any(|l| l.starts_with("warn master key: none yet")), "{stdout}");
    let store = portcullis::store::Store::connect_unmigrated(&database.url, 1, timeout).await.unwrap();
    let (pending, _) = store.migration_status().await.unwrap();
    assert!(pending.iter().any(|(v, _)| *v == 1), "doctor applied nothing");
    store.close().await;
    assert!(!dir.path().join("master.key").exists(), "doctor created no master key");
}
