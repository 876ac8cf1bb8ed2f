//! The durable retry queue of post-* trigger calls. A failed PostConfirmation or
//! PostAuthentication call is written to the `trigger_retries` table with its event as sent; the
//! retry worker (`crate::startup::trigger_retry_pass`: every node looks every 15 s, one at a
//! time under a lease) sends the due ones again, with a backoff that doubles from
//! [`FIRST_DELAY_SECS`] up to [`MAX_DELAY_SECS`], and gives a call up after [`MAX_ATTEMPTS`]
//! failures (logged, and an event like every attempt). Rows survive restarts; a pool's rows go
//! with the pool.

use super::{Trigger, TriggerError, Triggers};
use crate::ids::PoolId;
use crate::store::trigger_retries::TriggerRetryRow;
use serde_json::Value;

/// How often each node looks for due calls.
pub const RETRY_EVERY_SECS: u64 = 15;
pub const FIRST_DELAY_SECS: i64 = 15;
pub const MAX_DELAY_SECS: i64 = 3600;
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a written-ahead call waits before the retry worker may send it: past a call's budget.
const WRITTEN_AHEAD_SECS: i64 = 60;
/// The `last_error` of a written-ahead call not yet settled.
pub const PENDING: &str = "pending";
/// Calls one retry pass sends at most.
const BATCH: i64 = 100;

/// The delay after the `attempts`-th failure.
pub fn backoff(attempts: i64) -> i64 {
    let doublings = attempts.clamp(1, 20) - 1;
    (FIRST_DELAY_SECS << doublings).min(MAX_DELAY_SECS)
}

impl Triggers {
    /// Queue a call that failed for the retry worker. Never fails: a store error is logged.
    pub(super) async fn queue(&self, pool_id: &PoolId, trigger: Trigger, arn: &str, event: &Value, e: &TriggerError) {
        let row = self.row(pool_id, trigger, arn, event, 1, backoff(1), e.outcome());
        if let Err(err) = self.store.insert_trigger_retry(&row).await {
            tracing::error!(error = %err, trigger = trigger.name(), "a failed trigger call could not be queued");
        }
    }

    /// Send a call nobody waits for (CustomEmailSender), written down first: a queued row that is
    /// not due before the call's whole budget (three tries of 5 s) has passed, so a node that
    /// stops before the call is done leaves it to the retry worker instead of losing it. Sent,
    /// the row goes; failed, it is due after the first backoff, as a [`Self::queue`]d call.
    pub(super) async fn send_written_ahead(&self, pool_id: &PoolId, trigger: Trigger, arn: &str, event: &Value) {
        let row = self.row(pool_id, trigger, arn, event, 0, WRITTEN_AHEAD_SECS, PENDING);
        let written = match self.store.insert_trigger_retry(&row).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, trigger = trigger.name(), "a trigger call could not be written ahead");
                false
            }
        };
        let settled = match (self.send(arn, trigger, pool_id, event).await, written) {
            (Ok(_), true) => self.store.delete_trigger_retry(&row.id).await,
            (Ok(_), false) => Ok(()),
            (Err(e), true) => {
                let next = self.clock.now() + backoff(1);
                self.store.reschedule_trigger_retry(&row.id, 1, next, e.outcome()).await
            }
            (Err(e), false) => {
                self.queue(pool_id, trigger, arn, event, &e).await;
                Ok(())
            }
        };
        if let Err(err) = settled {
            tracing::error!(error = %err, trigger = trigger.name(), "a written-ahead trigger call could not be settled");
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        pool_id: &PoolId,
        trigger: Trigger,
        arn: &str,
        event: &Value,
        attempts: i64,
        due_in: i64,
        last_error: &str,
    ) -> TriggerRetryRow {
        let now = self.clock.now();
        TriggerRetryRow {
            id: uuid::Uuid::new_v4().to_string(),
            pool_id: pool_id.clone(),
            trigger_name: trigger.name().into(),
            arn: arn.into(),
            event: event.to_string(),
            attempts,
            next_at: now + due_in,
            created_at: now,
            last_error: last_error.into(),
        }
    }

    /// Send the due calls again (the retry worker, under its lease). Returns how many were delivered.
    pub async fn retry_due(&self) -> crate::store::StoreResult<u64> {
        let now = self.clock.now();
        let mut delivered = 0;
        for row in self.store.due_trigger_retries(now, BATCH).await? {
            let (Some(trigger), Ok(event)) =
                (Trigger::parse(&row.trigger_name), serde_json::from_str::<Value>(&row.event))
            else {
                self.store.delete_trigger_retry(&row.id).await?;
                continue;
            };
            match self.send(&row.arn, trigger, &row.pool_id, &event).await {
                Ok(_) => {
                    self.store.delete_trigger_retry(&row.id).await?;
                    delivered += 1;
                }
                Err(e) if row.attempts + 1 >= MAX_ATTEMPTS => {
                    tracing::warn!(trigger = trigger.name(), result = e.outcome(), "a trigger call was given up");
                    self.store.delete_trigger_retry(&row.id).await?;
                }
                Err(e) => {
                    let attempts = row.attempts + 1;
                    let next = self.clock.now() + backoff(attempts);
                    self.store.reschedule_trigger_retry(&row.id, attempts, next, e.outcome()).await?;
                }
            }
        }
        Ok(delivered)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_to_an_hour() {
        assert_eq!(super::backoff(1), 15);
        assert_eq!(super::backoff(2), 30);
        assert_eq!(super::backoff(8), 1920);
        assert_eq!(super::backoff(9), 3600);
        assert_eq!(super::backoff(50), 3600);
    }
}
