//! Lockout for every guess: passwords of users, passwords for usernames no user
//! has, and second-factor codes. From the fifth consecutive failure a counter is locked for
//! 2^(n-5) seconds, at most 15 minutes; guesses while locked are refused without extending it;
//! the count restarts after 15 minutes without failures.
//!
//! A guess is admitted before it is checked, by one conditional statement in the store that
//! takes a slot: only while not locked, and only as many at once as may still fail before the
//! lock (one at a time once the fifth failure is reached). So simultaneous requests on any
//! number of nodes never get more guesses checked than the rule allows. Each slot is then
//! resolved: a failure is counted and the lock set in the same statement that gives the slot
//! back; a success clears the counter. A slot left behind (a cancelled request, a node that
//! died) is given back by a task or stops counting after [`SLOT_SECS`].

use super::SignIn;
use super::error::{Error, Message, Result};
use crate::ids::PoolId;
use crate::store::Store;
use crate::store::guesses::Guesses;
use std::future::Future;

pub const LOCKOUT_FREE_FAILURES: i64 = 5;
pub const LOCKOUT_MAX_SECS: i64 = 900;
/// A counter restarts after this long without failures.
pub const FAILURE_WINDOW_SECS: i64 = 900;
/// How long an unresolved slot may hold back other guesses.
pub const SLOT_SECS: i64 = 60;
/// How long a guess waits for guesses in flight to settle before it is shed as too many
/// requests (about 1.3 s in all).
const BUSY_WAITS_MILLIS: &[u64] = &[10, 20, 40, 80, 160, 320, 640];

pub fn attempts_exceeded() -> Error {
    Error::NotAuthorized(Message::AttemptsExceeded)
}

/// The lock after the `n`th consecutive failure, in seconds (0: none yet).
pub fn lock_secs(n: i64) -> i64 {
    if n < LOCKOUT_FREE_FAILURES {
        return 0;
    }
    let exp = (n - LOCKOUT_FREE_FAILURES).min(20) as u32;
    2i64.pow(exp).min(LOCKOUT_MAX_SECS)
}

/// How a guess went.
#[derive(Debug)]
pub enum Guess<T> {
    /// Not checked: locked.
    Refused,
    Wrong,
    Right(T),
}

/// A slot taken in the store; given back by a spawned task if dropped unresolved (the request
/// was cancelled, or resolving it failed).
struct Slot {
    store: Store,
    pool_id: PoolId,
    of: Owned,
    resolved: bool,
}

/// [`Guesses`] with its key owned, for the task that gives a slot back.
#[derive(Clone)]
enum Owned {
    Password(String),
    SecondFactor(String),
    UnknownUser(String),
}

impl Owned {
    fn of(g: Guesses<'_>) -> Owned {
        match g {
            Guesses::Password(k) => Owned::Password(k.into()),
            Guesses::SecondFactor(k) => Owned::SecondFactor(k.into()),
            Guesses::UnknownUser(k) => Owned::UnknownUser(k.into()),
        }
    }

    fn borrow(&self) -> Guesses<'_> {
        match self {
            Owned::Password(k) => Guesses::Password(k),
            Owned::SecondFactor(k) => Guesses::SecondFactor(k),
            Owned::UnknownUser(k) => Guesses::UnknownUser(k),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.resolved {
            return;
        }
        let (store, pool_id, of) = (self.store.clone(), std::mem::take(&mut self.pool_id), self.of.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.release_guess(&pool_id, of.borrow(), 0).await {
                    tracing::warn!(error = %e, "an unresolved sign-in slot was not given back; it expires");
                }
            });
        }
    }
}

impl SignIn {
    /// Check one guess for `of` under its lockout: `check` runs only if a slot is admitted and
    /// says `Some` for a right guess, `None` for a wrong one. An error from `check` gives the
    /// slot back without counting a failure.
    pub(super) async fn guarded_guess<T>(
        &self,
        pool_id: &PoolId,
        of: Guesses<'_>,
        check: impl Future<Output = Result<Option<T>>>,
    ) -> Result<Guess<T>> {
        let mut now = self.now();
        let mut waits = BUSY_WAITS_MILLIS.iter();
        loop {
            let admitted = self
                .store
                .claim_guess(pool_id, of, now, FAILURE_WINDOW_SECS, LOCKOUT_FREE_FAILURES, now + SLOT_SECS)
                .await?;
            if admitted {
                break;
            }
            if self.store.get_failures(pool_id, of).await?.locked_until > now {
                return Ok(Guess::Refused);
            }
            // Not locked, only busy: as many guesses in flight as may still fail. Wait for them
            // to settle (each is one password check) rather than call this one a lockout.
            let Some(ms) = waits.next() else {
                return Err(Error::TooManyRequests { retry_after_secs: 1 });
            };
            tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
            now = self.now();
        }
        let mut slot = Slot { store: self.store.clone(), pool_id: pool_id.clone(), of: Owned::of(of), resolved: false };
        let outcome = match check.await {
            Ok(o) => o,
            Err(e) => {
                if self.store.release_guess(pool_id, of, 0).await.is_ok() {
                    slot.resolved = true;
                }
                return Err(e);
            }
        };
        match outcome {
            Some(v) => {
                self.store.guess_succeeded(pool_id, of).await?;
                slot.resolved = true;
                Ok(Guess::Right(v))
            }
            None => {
                let n = self.store.count_failed_guess(pool_id, of, now, FAILURE_WINDOW_SECS).await?;
                let secs = lock_secs(n);
                self.store.release_guess(pool_id, of, if secs > 0 { now + secs } else { 0 }).await?;
                slot.resolved = true;
                Ok(Guess::Wrong)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_from_the_fifth_failure_up_to_fifteen_minutes() {
        assert_eq!([1, 4].map(lock_secs), [0, 0]);
        assert_eq!([5, 6, 7, 14].map(lock_secs), [1, 2, 4, 512]);
        assert_eq!([15, 16, 60].map(lock_secs), [900, 900, 900]);
    }
}
