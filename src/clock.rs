//! The only place that reads wall time. Services take an `Arc<dyn Clock>` so tests can fix time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    /// Seconds since the Unix epoch.
    fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// Real time.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }
}

/// A clock that starts at real time and can be moved forward by tests.
#[derive(Debug)]
pub struct ManualClock {
    offset_millis: AtomicI64,
    /// Real time at which the clock was stopped; 0 = running.
    frozen_at_millis: AtomicI64,
}

impl ManualClock {
    pub fn new() -> Self {
        ManualClock { offset_millis: AtomicI64::new(0), frozen_at_millis: AtomicI64::new(0) }
    }

    pub fn advance_secs(&self, secs: i64) {
        self.offset_millis.fetch_add(secs * 1000, Ordering::SeqCst);
    }

    pub fn advance_millis(&self, millis: i64) {
        self.offset_millis.fetch_add(millis, Ordering::SeqCst);
    }

    /// Stop the clock where it is; from now on only [`Self::advance_secs`] moves it. For tests
    /// whose outcome depends on staying within one second (a one-second lockout).
    pub fn freeze(&self) {
        let _ = self.frozen_at_millis.compare_exchange(0, SystemClock.now_millis(), Ordering::SeqCst, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        let base = match self.frozen_at_millis.load(Ordering::SeqCst) {
            0 => SystemClock.now_millis(),
            frozen => frozen,
        };
        base + self.offset_millis.load(Ordering::SeqCst)
    }
}
