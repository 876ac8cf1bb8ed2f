//! The disk under an embedded SQLite database. PostgreSQL reports its own disk trouble (SQLSTATE
//! 53100); a SQLite file only fails its writes, one by one, while reads and so a plain readiness
//! query still succeed. Readiness therefore also asks the file system: a node whose database
//! cannot take writes (too little space left, or mounted read-only) is not ready, and the log
//! says which of the two, once when it happens and once when it is over.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};

/// Where the database file lives and how much room it needs to count as writable.
#[derive(Debug)]
pub struct DiskWatch {
    dir: PathBuf,
    min_free: u64,
    /// The last verdict logged: [`UNKNOWN`], [`WRITABLE`] or [`NOT_WRITABLE`].
    last: AtomicU8,
}

const UNKNOWN: u8 = 0;
const WRITABLE: u8 = 1;
const NOT_WRITABLE: u8 = 2;

/// Why the database's disk cannot take writes.
#[derive(Debug, PartialEq, Eq)]
pub enum DiskTrouble {
    /// Fewer bytes free (for this process) than the configured minimum.
    Full {
        free: u64,
        min_free: u64,
    },
    ReadOnly,
    /// The file system could not be asked (the directory is gone, permissions).
    Unknown(String),
}

impl std::fmt::Display for DiskTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiskTrouble::Full { free, min_free } => write!(
                f,
                "the disk is full: {free} bytes free, fewer than the {min_free} the database needs \
                 (PORTCULLIS_MIN_FREE_DISK_MB); writes fail until space is freed"
            ),
            DiskTrouble::ReadOnly => write!(f, "the file system is mounted read-only; every write fails"),
            DiskTrouble::Unknown(e) => write!(f, "cannot ask the file system for free space: {e}"),
        }
    }
}

impl DiskWatch {
    /// The watch for a `sqlite:` URL's file (None for an in-memory database).
    pub fn for_sqlite_url(url: &str, min_free: u64) -> Option<DiskWatch> {
        let rest = url.strip_prefix("sqlite:")?;
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or("");
        if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
            return None;
        }
        let dir = match Path::new(path).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Some(DiskWatch { dir, min_free, last: AtomicU8::new(UNKNOWN) })
    }

    /// The same directory with another minimum.
    pub fn with_min_free(&self, min_free: u64) -> DiskWatch {
        DiskWatch { dir: self.dir.clone(), min_free, last: AtomicU8::new(UNKNOWN) }
    }

    /// Whether the database's file system can take writes now.
    pub fn check(&self) -> Result<(), DiskTrouble> {
        let verdict = match rustix::fs::statvfs(&self.dir) {
            Ok(s) if s.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) => Err(DiskTrouble::ReadOnly),
            Ok(s) => {
                let free = s.f_bavail.saturating_mul(s.f_frsize);
                if free < self.min_free { Err(DiskTrouble::Full { free, min_free: self.min_free }) } else { Ok(()) }
            }
            Err(e) => Err(DiskTrouble::Unknown(e.to_string())),
        };
        self.log_change(&verdict);
        verdict
    }

    fn log_change(&self, verdict: &Result<(), DiskTrouble>) {
        let now = if verdict.is_ok() { WRITABLE } else { NOT_WRITABLE };
        let before = self.last.swap(now, Ordering::Relaxed);
        match verdict {
            Err(trouble) if before != NOT_WRITABLE => {
                tracing::error!(directory = %self.dir.display(), "SQLite database cannot take writes: {trouble}")
            }
            Ok(()) if before == NOT_WRITABLE => {
                tracing::info!(directory = %self.dir.display(), "SQLite database's disk takes writes again")
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_directory_of_the_database_file() {
        let w = DiskWatch::for_sqlite_url("sqlite:///var/lib/portcullis/portcullis.db?mode=rwc", 1).unwrap();
        assert_eq!(w.dir, PathBuf::from("/var/lib/portcullis"));
        let w = DiskWatch::for_sqlite_url("sqlite://portcullis.db", 1).unwrap();
        assert_eq!(w.dir, PathBuf::from("."));
        assert!(DiskWatch::for_sqlite_url("sqlite::memory:", 1).is_none());
        assert!(DiskWatch::for_sqlite_url("sqlite://x.db?mode=memory", 1).is_none());
        assert!(DiskWatch::for_sqlite_url("postgres://h/db", 1).is_none());
    }

    #[test]
    fn a_disk_with_less_room_than_the_minimum_is_full() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/p.db", dir.path().display());
        assert_eq!(DiskWatch::for_sqlite_url(&url, 0).unwrap().check(), Ok(()));
        match DiskWatch::for_sqlite_url(&url, u64::MAX).unwrap().check() {
            Err(DiskTrouble::Full { min_free, .. }) => assert_eq!(min_free, u64::MAX),
            other => panic!("expected a full disk, got {other:?}"),
        }
        let gone = DiskWatch::for_sqlite_url("sqlite:///nonexistent-portcullis-dir/p.db", 0).unwrap();
        assert!(matches!(gone.check(), Err(DiskTrouble::Unknown(_))));
    }
}
