//! Test databases (part of `helpers.rs`): a fresh SQLite file or PostgreSQL database per test,
//! and on PostgreSQL their dropping when the test ends, plus the sweep of what killed runs left.

use super::{PG_ADMIN_URL, backend};
use portcullis::store::Store;
use std::sync::Arc;
use std::time::Duration;

/// A fresh, empty database for one test: a SQLite file in a directory the caller owns, or a new
/// PostgreSQL database `pc_test_<pid>_<uuid>` (the test process's id tells which run it belongs
/// to) that is dropped when this is dropped (also when the test panics), after closing the
/// stores handed to [`TestDatabase::close_on_drop`]. The [`Reaper`] does the dropping, so no test
/// waits for it.
pub struct TestDatabase {
    pub url: String,
    /// The PostgreSQL database to drop; `None` on SQLite (the file goes with its directory).
    postgres: Option<String>,
    stores: Vec<Store>,
}

impl TestDatabase {
    pub async fn create(dir: &std::path::Path) -> TestDatabase {
        Self::create_with(dir, "").await
    }

    /// The same, on PostgreSQL with a linguistic collation (ICU's en-US, where case and
    /// punctuation count only after the letters: 'Alfred' sorts between 'al' and 'am'), as a
    /// production database created with en_US.UTF-8 orders text; the suite's server is C.UTF-8.
    pub async fn create_linguistic(dir: &std::path::Path) -> TestDatabase {
        Self::create_with(dir, " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'").await
    }

    async fn create_with(dir: &std::path::Path, options: &str) -> TestDatabase {
        if backend() != "postgres" {
            let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
            return TestDatabase { url, postgres: None, stores: Vec::new() };
        }
        Reaper::get();
        use sqlx::Connection;
        let name = format!("pc_test_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(PG_ADMIN_URL)
            .await
            .expect("PostgreSQL on 127.0.0.1:5432 is required for PORTCULLIS_TEST_DB=postgres");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}{options}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        TestDatabase { url, postgres: Some(name), stores: Vec::new() }
    }

    /// Close `store` (a pool on this database) before the database is dropped.
    pub fn close_on_drop(&mut self, store: Store) {
        self.stores.push(store);
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.postgres.take() {
            Reaper::get().drop_later(name, std::mem::take(&mut self.stores));
        }
    }
}

/// Drops the test databases of this process on a thread of its own: `DROP DATABASE` waits for
/// a checkpoint (up to seconds on a busy disk), and closing a pool needs the test's runtime to
/// have let go of its connections, so neither can be done in `Drop` on the test's thread. The
/// process waits for the databases still being dropped when it exits (an `atexit` handler), so
/// a run leaves none behind. Started by the first PostgreSQL test database of a process, it
/// also drops what killed runs left (see [`drop_stale_databases`]).
struct Reaper {
    jobs: tokio::sync::mpsc::UnboundedSender<(String, Vec<Store>)>,
    /// Databases handed over and not yet dropped.
    pending: Arc<(std::sync::Mutex<usize>, std::sync::Condvar)>,
}

unsafe extern "C" {
    /// The C library's `atexit`: `callback` runs when the process exits (main returns or
    /// `std::process::exit`), while its other threads still run.
    safe fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

/// How long closing a test's stores may take before `DROP DATABASE ... WITH (FORCE)` ends what
/// is left of their sessions.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Databases dropped at once (concurrent drops share checkpoints; each takes a connection).
const DROPS_AT_ONCE: usize = 4;

/// How long an exiting test process waits for its last databases to be dropped.
const EXIT_WAIT: Duration = Duration::from_secs(60);

impl Reaper {
    fn get() -> &'static Reaper {
        static REAPER: std::sync::OnceLock<Reaper> = std::sync::OnceLock::new();
        REAPER.get_or_init(|| {
            let (jobs, queue) = tokio::sync::mpsc::unbounded_channel();
            let pending = Arc::new((std::sync::Mutex::new(0), std::sync::Condvar::new()));
            let done = pending.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                runtime.block_on(Reaper::run(queue, done));
            });
            atexit(wait_for_pending_drops);
            Reaper { jobs, pending }
        })
    }

    async fn run(
        mut queue: tokio::sync::mpsc::UnboundedReceiver<(String, Vec<Store>)>,
        done: Arc<(std::sync::Mutex<usize>, std::sync::Condvar)>,
    ) {
        tokio::spawn(drop_stale_databases());
        let slots = Arc::new(tokio::sync::Semaphore::new(DROPS_AT_ONCE));
        while let Some((name, stores)) = queue.recv().await {
            let (done, slots) = (done.clone(), slots.clone());
            tokio::spawn(async move {
                let slot = slots.acquire_owned().await;
                if let Err(e) = drop_database(&name, &stores).await {
                    eprintln!("could not drop the test database {name}: {e}");
                }
                drop(slot);
                let (count, changed) = &*done;
                *count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
                changed.notify_all();
            });
        }
    }

    fn drop_later(&self, name: String, stores: Vec<Store>) {
        *self.pending.0.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        if self.jobs.send((name, stores)).is_err() {
            *self.pending.0.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        }
    }
}

extern "C" fn wait_for_pending_drops() {
    let (count, changed) = &*Reaper::get().pending;
    let guard = count.lock().unwrap_or_else(|e| e.into_inner());
    let (left, _) = changed.wait_timeout_while(guard, EXIT_WAIT, |n| *n > 0).unwrap_or_else(|e| e.into_inner());
    if *left > 0 {
        eprintln!("{} test database(s) were not dropped in time", *left);
    }
}

/// Close `stores`, then drop database `name`, ending any session left.
async fn drop_database(name: &str, stores: &[Store]) -> Result<(), sqlx::Error> {
    for store in stores {
        // A connection a stopped test still holds may never be given back: FORCE ends it.
        let _ = tokio::time::timeout(CLOSE_WAIT, store.close()).await;
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(PG_ADMIN_URL).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// A `pc_test_` database with no session that has not changed for this long is a leftover.
const STALE_AFTER_MINUTES: i32 = 10;

/// Drop the `pc_test_` databases that earlier runs left behind (killed before they could drop
/// them), one after the other: those without a session whose directory has not changed for a
/// while. A concurrent run's databases are in use (its apps and stores keep a connection) or,
/// just created and not yet connected to, young. Not waited for at exit: a later run goes on.
async fn drop_stale_databases() {
    use sqlx::Connection;
    let Ok(mut conn) = sqlx::PgConnection::connect(PG_ADMIN_URL).await else { return };
    let stale: Vec<(String,)> = match sqlx::query_as(
        "SELECT d.datname::text FROM pg_database d \
         WHERE d.datname LIKE 'pc\\_test\\_%' \
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid) \
           AND (pg_stat_file('base/' || d.oid)).modification < now() - make_interval(mins => $1)",
    )
    .bind(STALE_AFTER_MINUTES)
    .fetch_all(&mut conn)
    .await
    {
        Ok(rows) => rows,
        Err(e) => return eprintln!("could not look for stale test databases: {e}"),
    };
    for (name,) in stale {
        // Without FORCE: a database someone has connected to since is left alone.
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\"");
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop)).execute(&mut conn).await;
    }
}
