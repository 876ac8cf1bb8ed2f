//! An embedded SQLite database whose disk fills up: readiness says so (a plain query still
//! succeeds, so only the file system can tell), writes are answered "retry" rather than a 500,
//! what was stored stays readable, and when space is freed everything works again.
//!
//! The disk is a small tmpfs mounted by the test, which needs CAP_SYS_ADMIN (root on the CI
//! machine). Without it the test says SKIPPED, unless `PORTCULLIS_REQUIRE_TMPFS=1` (as `.ci/run`
//! sets), where it fails.

use crate::helpers::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmpfs of a few megabytes, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("tempdir");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file until the disk refuses another byte; returns its path.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut f = std::fs::File::create(&path).expect("create the filler");
        let block = vec![0xa5u8; 64 * 1024];
        loop {
            match f.write(&block) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let mut byte = [0u8; 1];
        while f.write(&byte).is_ok_and(|n| n == 1) {
            byte[0] ^= 1;
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

async fn ready(app: &TestApp) -> u16 {
    app.http.get(format!("{}/health/ready", app.base)).send().await.expect("answers").status().as_u16()
}

async fn create_user(app: &TestApp, pool: &str, name: &str) -> (u16, serde_json::Value) {
    app.api(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS",
               "TemporaryPassword": PASSWORD,
               "UserAttributes": [{"Name": "email", "Value": format!("{name}@example.com")},
                                  {"Name": "name", "Value": "x".repeat(2000)}]}),
    )
    .await
}

#[tokio::test]
async fn a_full_disk_makes_the_node_unready_and_writes_retryable_and_freeing_it_recovers() {
    if backend() != "sqlite" {
        eprintln!("SKIPPED a_full_disk…: SQLite only (PostgreSQL reports its own disk)");
        return;
    }
    let Some(disk) = SmallDisk::mount(24) else {
        assert!(std::env::var_os("PORTCULLIS_REQUIRE_TMPFS").is_none(), "cannot mount a tmpfs (CAP_SYS_ADMIN needed)");
        eprintln!("SKIPPED a_full_disk…: cannot mount a tmpfs here");
        return;
    };
    let url = format!("sqlite://{}?mode=rwc", disk.path().join("portcullis.db").display());
    let app = TestApp::spawn_with(|c| {
        c.database_url = Some(url);
        c.min_free_disk_mb = 2;
    })
    .await;
    let (st, v) = app.api("CreateUserPool", json!({"PoolName": "disk"})).await;
    assert_eq!(st, 200, "{v}");
    let pool = v["UserPool"]["Id"].as_str().unwrap().to_string();
    let (st, v) = create_user(&app, &pool, "before").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(ready(&app).await, 200);

    let filler = disk.fill();
    assert_eq!(ready(&app).await, 503, "a full disk must make the node unready");

    // Writes fail now; each is answered as retryable, never as a 500 or a client error.
    let mut refused = 0;
    for i in 0..60 {
        let at = Instant::now();
        let (st, v) = create_user(&app, &pool, &format!("during{i}")).await;
        // A failed write must not leave a transaction open that the next writers wait on.
        assert!(at.elapsed() < Duration::from_secs(3), "write {i} on a full disk took {:?}", at.elapsed());
        match st {
            200 => {}
            503 => {
                assert_eq!(err_type(&v), "InternalErrorException", "{v}");
                refused += 1;
            }
            _ => panic!("a write on a full disk answered {st}: {v}"),
        }
    }
    assert!(refused > 0, "no write failed on a full disk: the test did not fill it");
    // What was stored before is still there.
    let (st, v) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "before"})).await;
    assert_eq!(st, 200, "{v}");

    std::fs::remove_file(filler).expect("free the disk");
    assert_eq!(ready(&app).await, 200, "the node must be ready again once space is freed");
    let at = Instant::now();
    let (st, v) = create_user(&app, &pool, "after").await;
    assert_eq!(st, 200, "{v}");
    assert!(at.elapsed() < Duration::from_secs(3), "the first write after freeing took {:?}", at.elapsed());
    drop(app);
}
