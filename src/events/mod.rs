//! The event log: one store for sign-in events (category `auth`: sign-in steps with their
//! failure reasons, lockouts, sign-up and its confirmation, recovery, password changes, token
//! grants, federated sign-ins) and the operators' audit trail (category `audit`: actor, action,
//! target, before/after of changed settings). The services record where things happen, so the
//! hosted pages, the OAuth endpoints and the JSON API all produce the same events; the JSON API's
//! AdminListUserAuthEvents ([`user_events`]) and the dashboard read them back.
//!
//! Recording never fails the request it describes: a store error is logged and the request goes
//! on. No event holds a secret: details are redacted by member name ([`changes::redact`]) when
//! recorded, whatever the caller put in. Events are kept for the configured retention
//! ([`Events::purge`], run by the janitor), whatever the pool's add-on setting, which only
//! decides whether Cognito's API shows them.

pub mod changes;
pub mod kinds;
pub mod user_events;

pub use changes::{changes, redact};
pub use kinds::{
    AuditEvent, AuthEvent, AuthEventType, Category, ChallengeKind, ChallengeResult, EventFilter, Feedback,
    FeedbackValue, Outcome, Reason, SeriesPoint, SeriesQuery,
};
pub use user_events::UserAuthEvent;

use crate::clock::Clock;
use crate::ids::PoolId;
use crate::store::Store;
use crate::store::events::{EventQuery, EventRow};
use crate::userpool::error::{Error, Result};
use base64::Engine;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// Largest page [`Events::list`] returns.
pub const MAX_PAGE: i64 = 1000;
/// Most buckets one [`Events::series`] may count.
pub const MAX_BUCKETS: i64 = 10_000;
const DAY_MILLIS: i64 = 86_400_000;
/// MFA adoption is read once an hour.
pub const ADOPTION_HOUR_MILLIS: i64 = 3_600_000;

/// One MFA adoption reading: at the start of an hour, users with a second factor and all users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdoptionReading {
    pub at: i64,
    pub with_mfa: i64,
    pub users: i64,
}

/// The event log context: records events and answers questions about them.
pub struct Events {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Orders the ids of events made in the same millisecond on this node (a counter).
    ids: Mutex<uuid::ContextV7>,
}

/// Where a listing continues: the last event of the page before (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCursor {
    pub at: i64,
    pub id: String,
}

impl EventCursor {
    /// An opaque text for a link or a NextToken.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{}", self.at, self.id))
    }

    /// The cursor [`Self::encode`] wrote; `None` for anything else.
    pub fn parse(text: &str) -> Option<EventCursor> {
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()?;
        let raw = String::from_utf8(raw).ok()?;
        let (at, id) = raw.split_once(':')?;
        uuid::Uuid::parse_str(id).ok()?;
        Some(EventCursor { at: at.parse().ok()?, id: id.to_string() })
    }
}

/// One page of a listing, newest first, and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPage {
    pub events: Vec<EventRow>,
    pub next: Option<EventCursor>,
}

/// An event's details as JSON (null when it has none or they do not parse).
pub fn details_of(row: &EventRow) -> Value {
    row.details.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or(Value::Null)
}

/// The sign-in steps a SignIn event's details list.
pub fn challenges_of(row: &EventRow) -> Vec<ChallengeResult> {
    serde_json::from_value(details_of(row)["challenges"].clone()).unwrap_or_default()
}

/// The feedback given on an event, if any.
pub fn feedback_of(row: &EventRow) -> Option<Feedback> {
    row.feedback.as_deref().and_then(|f| serde_json::from_str(f).ok())
}

/// Details as stored: redacted JSON text, none for null.
fn stored_details(details: &Value) -> Option<String> {
    (!details.is_null()).then(|| redact(details).to_string())
}

impl Events {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Events { store, clock, ids: Mutex::new(uuid::ContextV7::new()) }
    }

    /// A UUIDv7 for an event at `at` (the service clock): ids sort like times, and the ids of
    /// one node's events of the same millisecond sort in the order they were made.
    fn new_id(&self, at: i64) -> String {
        let millis = u64::try_from(at).unwrap_or(0);
        let ts = uuid::Timestamp::from_unix(&self.ids, millis / 1000, ((millis % 1000) * 1_000_000) as u32);
        uuid::Uuid::new_v7(ts).to_string()
    }

    async fn insert(&self, row: EventRow) {
        if let Err(e) = self.store.insert_event(&row).await {
            tracing::warn!(error = %e, event_type = %row.event_type, "an event could not be recorded");
        }
    }

    /// Record an auth event. Never fails: a store error is logged.
    pub async fn record_auth(&self, e: AuthEvent) {
        crate::metrics::auth_event(e.event_type.as_str(), e.outcome.as_str(), e.reason.map(|r| r.as_str()));
        let at = self.clock.now_millis();
        self.insert(EventRow {
            id: self.new_id(at),
            pool_id: Some(e.pool_id),
            at,
            category: Category::Auth.as_str().into(),
            event_type: e.event_type.as_str().into(),
            outcome: e.outcome.as_str().into(),
            reason: e.reason.map(|r| r.as_str().into()),
            user_sub: e.user_sub,
            username: e.username,
            client_id: e.client_id,
            ip: e.ip.map(|ip| ip.to_string()),
            actor: None,
            target: None,
            details: stored_details(&e.details),
            feedback: None,
        })
        .await
    }

    /// Record an operator's action. Never fails: a store error is logged.
    pub async fn record_audit(&self, e: AuditEvent) {
        let at = self.clock.now_millis();
        self.insert(EventRow {
            id: self.new_id(at),
            pool_id: e.pool_id,
            at,
            category: Category::Audit.as_str().into(),
            event_type: e.action,
            outcome: e.outcome.as_str().into(),
            reason: e.reason.map(|r| r.as_str().into()),
            user_sub: e.user_sub,
            username: None,
            client_id: e.client_id,
            ip: e.ip.map(|ip| ip.to_string()),
            actor: Some(e.actor),
            target: e.target,
            details: stored_details(&e.details),
            feedback: None,
        })
        .await
    }

    /// Events matching `filter`, newest first, `limit` (1 to [`MAX_PAGE`]) at a time, after
    /// `after` (the `next` of the page before).
    pub async fn list(&self, filter: &EventFilter, limit: i64, after: Option<&EventCursor>) -> Result<EventPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let q = EventQuery {
            pool_id: filter.pool_id.clone(),
            user_sub: filter.user_sub.clone(),
            username: filter.username.clone(),
            client_id: filter.client_id.clone(),
            ip: filter.ip.clone(),
            category: filter.category.map(|c| c.as_str().into()),
            event_types: filter.event_types.clone(),
            outcome: filter.outcome.map(|o| o.as_str().into()),
            from: filter.from,
            to: filter.to,
            before: after.map(|c| (c.at, c.id.clone())),
        };
        let mut events = self.store.list_events(&q, limit + 1).await?;
        let more = events.len() as i64 > limit;
        events.truncate(limit as usize);
        let next = more.then(|| events.last().map(|e| EventCursor { at: e.at, id: e.id.clone() })).flatten();
        Ok(EventPage { events, next })
    }

    /// One event by id.
    pub async fn event(&self, id: &str) -> Result<Option<EventRow>> {
        Ok(self.store.get_event(id).await?)
    }

    /// Events counted per bucket of `bucket_secs` over `[from, to)`, per type, outcome and
    /// reason, by bucket (buckets without events left out). At most [`MAX_BUCKETS`] buckets.
    pub async fn series(&self, q: &SeriesQuery) -> Result<Vec<SeriesPoint>> {
        let size = q.bucket_secs.saturating_mul(1000);
        if q.bucket_secs < 1 || q.to <= q.from {
            return Err(Error::invalid("A series needs a bucket of at least one second and a non-empty range."));
        }
        if (q.to - q.from) / size >= MAX_BUCKETS {
            return Err(Error::invalid(format!("A series has at most {MAX_BUCKETS} buckets.")));
        }
        let counts = self.store.count_events(q.pool_id.as_ref(), q.from, q.to, size).await?;
        Ok(counts
            .into_iter()
            .map(|c| SeriesPoint {
                start: q.from + c.bucket * size,
                event_type: c.event_type,
                outcome: c.outcome,
                reason: c.reason,
                count: c.count,
            })
            .collect())
    }

    /// Delete events older than `retention_days` (0 keeps every event). Returns how many went.
    pub async fn purge(&self, retention_days: u32) -> Result<u64> {
        if retention_days == 0 {
            return Ok(0);
        }
        let cutoff = self.clock.now_millis() - i64::from(retention_days) * DAY_MILLIS;
        Ok(self.store.delete_events_before(cutoff).await? + self.store.delete_mfa_adoption_before(cutoff).await?)
    }

    /// Take this hour's MFA adoption reading of every pool, unless a node already has; true when
    /// this call took it. The janitor calls it; one statement counts every pool.
    pub async fn take_mfa_adoption(&self) -> Result<bool> {
        let hour = self.clock.now_millis().div_euclid(ADOPTION_HOUR_MILLIS) * ADOPTION_HOUR_MILLIS;
        if self.store.mfa_adoption_taken(hour).await? {
            return Ok(false);
        }
        self.store.take_mfa_adoption(hour).await?;
        Ok(true)
    }

    /// The MFA adoption readings in `[from, to)` of `pool` (of every pool but the system pool when
    /// `None`), oldest first.
    pub async fn mfa_adoption(&self, pool: Option<&PoolId>, from: i64, to: i64) -> Result<Vec<AdoptionReading>> {
        let rows = self.store.mfa_adoption_readings(pool, from, to).await?;
        Ok(rows.into_iter().map(|(at, with_mfa, users)| AdoptionReading { at, with_mfa, users }).collect())
    }

    /// Give feedback on event `event_id` of `pool_id` (AdminUpdateAuthEventFeedback's store);
    /// false when the pool has no such event.
    pub async fn set_feedback(
        &self,
        pool_id: &PoolId,
        event_id: &str,
        value: FeedbackValue,
        provider: &str,
    ) -> Result<bool> {
        let f = Feedback { value, provider: provider.to_string(), at: self.clock.now_millis() };
        let text = serde_json::to_string(&f).map_err(Error::internal)?;
        Ok(self.store.set_event_feedback(pool_id, event_id, &text).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Mutex<uuid::ContextV7> {
        Mutex::new(uuid::ContextV7::new())
    }

    fn new_id(ids: &Mutex<uuid::ContextV7>, at: i64) -> String {
        let millis = at as u64;
        let ts = uuid::Timestamp::from_unix(ids, millis / 1000, ((millis % 1000) * 1_000_000) as u32);
        uuid::Uuid::new_v7(ts).to_string()
    }

    #[test]
    fn cursors_round_trip_and_anything_else_is_refused() {
        let c = EventCursor { at: 1_700_000_000_123, id: new_id(&ids(), 1_700_000_000_123) };
        assert_eq!(EventCursor::parse(&c.encode()), Some(c));
        for bad in ["", "x", "MTIzOmFiYw", "!!"] {
            assert_eq!(EventCursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_sort_like_their_times_and_within_a_millisecond_like_their_order() {
        let ctx = ids();
        let (a, b) = (new_id(&ctx, 1_000), new_id(&ctx, 2_000));
        assert!(a < b, "{a} < {b}");
        let id = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(id.get_version_num(), 7);
        let same: Vec<String> = (0..50).map(|_| new_id(&ctx, 3_000)).collect();
        assert!(same.windows(2).all(|w| w[0] < w[1]), "{same:?}");
    }
}
