//! The event log: sign-in events and the admin audit trail, one append-only table (`events`,
//! migration 0012). Rows are inserted, listed newest first with keyset paging by `(at, id)`,
//! counted per time bucket for charts, given feedback (the only update), and deleted past the
//! retention. Times are epoch milliseconds. The statements are the same on both databases; a
//! listing's WHERE clause holds only the filters given, so each can use its index.

use super::{Store, StoreResult};
use crate::ids::{ClientId, PoolId, UserSub};

/// Rows a retention run deletes per statement, so no delete holds the table for long.
const PURGE_BATCH: i64 = 5000;

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    /// A UUIDv7 on the service clock.
    pub id: String,
    /// The user pool; `None` for audit events outside user pools.
    pub pool_id: Option<PoolId>,
    /// Epoch milliseconds.
    pub at: i64,
    /// `auth` or `audit`.
    pub category: String,
    pub event_type: String,
    /// `Pass`, `Fail` or `InProgress`.
    pub outcome: String,
    /// A failure's reason code (`bad_password`, `locked_out`, …).
    pub reason: Option<String>,
    pub user_sub: Option<UserSub>,
    pub username: Option<String>,
    pub client_id: Option<ClientId>,
    pub ip: Option<String>,
    /// Audit: who acted.
    pub actor: Option<String>,
    /// Audit: what was acted on.
    pub target: Option<String>,
    /// JSON text.
    pub details: Option<String>,
    /// JSON text: feedback given on the event.
    pub feedback: Option<String>,
}

/// Which events to list. `None` and empty lists match every event.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub pool_id: Option<PoolId>,
    pub user_sub: Option<UserSub>,
    pub username: Option<String>,
    pub client_id: Option<ClientId>,
    pub ip: Option<String>,
    pub category: Option<String>,
    /// Any of these types.
    pub event_types: Vec<String>,
    pub outcome: Option<String>,
    /// At or after (epoch ms).
    pub from: Option<i64>,
    /// Before (epoch ms).
    pub to: Option<i64>,
    /// Only events older than this `(at, id)`: the last one of the previous page.
    pub before: Option<(i64, String)>,
}

/// How many events of one type, outcome and reason fell in one bucket.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BucketCount {
    /// The bucket's index, counted from the start of the range.
    pub bucket: i64,
    pub event_type: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub count: i64,
}

/// A value bound to a placeholder.
enum Arg {
    Text(String),
    Int(i64),
}

/// A WHERE clause built from the filters given, with its arguments in placeholder order.
#[derive(Default)]
struct Where {
    conditions: Vec<String>,
    args: Vec<Arg>,
}

impl Where {
    /// The placeholder for `arg` (`$n`).
    fn bind(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn equals(&mut self, column: &str, value: Option<&str>) {
        if let Some(v) = value {
            let p = self.bind(Arg::Text(v.to_string()));
            self.conditions.push(format!("{column} = {p}"));
        }
    }

    fn of(q: &EventQuery) -> Where {
        let mut w = Where::default();
        w.equals("pool_id", q.pool_id.as_deref());
        w.equals("user_sub", q.user_sub.as_deref());
        w.equals("username", q.username.as_deref());
        w.equals("client_id", q.client_id.as_deref());
        w.equals("ip", q.ip.as_deref());
        w.equals("category", q.category.as_deref());
        w.equals("outcome", q.outcome.as_deref());
        if !q.event_types.is_empty() {
            let ps: Vec<String> = q.event_types.iter().map(|t| w.bind(Arg::Text(t.clone()))).collect();
            w.conditions.push(format!("event_type IN ({})", ps.join(", ")));
        }
        if let Some(from) = q.from {
            let p = w.bind(Arg::Int(from));
            w.conditions.push(format!("at >= {p}"));
        }
        if let Some(to) = q.to {
            let p = w.bind(Arg::Int(to));
            w.conditions.push(format!("at < {p}"));
        }
        if let Some((at, id)) = &q.before {
            let (a, i) = (w.bind(Arg::Int(*at)), w.bind(Arg::Text(id.clone())));
            w.conditions.push(format!("(at, id) < ({a}, {i})"));
        }
        w
    }

    fn sql(&self) -> String {
        if self.conditions.is_empty() { String::new() } else { format!(" WHERE {}", self.conditions.join(" AND ")) }
    }
}

/// Bind `args` in order.
macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Text(s) => q.bind(s),
                Arg::Int(i) => q.bind(i),
            };
        }
        q
    }};
}

impl Store {
    pub async fn insert_event(&self, e: &EventRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO events (id, pool_id, at, category, event_type, outcome, reason, user_sub, username, \
             client_id, ip, actor, target, details, feedback) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(&e.id)
        .bind(&e.pool_id)
        .bind(e.at)
        .bind(&e.category)
        .bind(&e.event_type)
        .bind(&e.outcome)
        .bind(&e.reason)
        .bind(&e.user_sub)
        .bind(&e.username)
        .bind(&e.client_id)
        .bind(&e.ip)
        .bind(&e.actor)
        .bind(&e.target)
        .bind(&e.details)
        .bind(&e.feedback)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Up to `limit` events matching `q`, newest first (by `at`, then `id`).
    pub async fn list_events(&self, q: &EventQuery, limit: i64) -> StoreResult<Vec<EventRow>> {
        let mut w = Where::of(q);
        let lim = w.bind(Arg::Int(limit.max(0)));
        let sql = format!("SELECT * FROM events{} ORDER BY at DESC, id DESC LIMIT {lim}", w.sql());
        let query = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), w.args);
        Ok(query.fetch_all(&self.pool).await?)
    }

    pub async fn get_event(&self, id: &str) -> StoreResult<Option<EventRow>> {
        Ok(sqlx::query_as("SELECT * FROM events WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Events of `pool_id` (or of every pool) in `[from, to)`, counted per bucket of
    /// `bucket_millis` from `from`, per type, outcome and reason; by bucket. Buckets without
    /// events are not returned.
    pub async fn count_events(
        &self,
        pool_id: Option<&PoolId>,
        from: i64,
        to: i64,
        bucket_millis: i64,
    ) -> StoreResult<Vec<BucketCount>> {
        let q = EventQuery { pool_id: pool_id.cloned(), from: Some(from), to: Some(to), ..EventQuery::default() };
        let mut w = Where::of(&q);
        let (start, size) = (w.bind(Arg::Int(from)), w.bind(Arg::Int(bucket_millis.max(1))));
        let sql = format!(
            "SELECT (at - {start}) / {size} AS bucket, event_type, outcome, reason, COUNT(*) AS count \
             FROM events{} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            w.sql()
        );
        let query = bind_all!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), w.args);
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Delete every event older than `before` (epoch ms), in batches; returns how many went.
    pub async fn delete_events_before(&self, before: i64) -> StoreResult<u64> {
        let mut total = 0;
        loop {
            let n = sqlx::query("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE at < $1 LIMIT $2)")
                .bind(before)
                .bind(PURGE_BATCH)
                .execute(&self.pool)
                .await?
                .rows_affected();
            total += n;
            if n < PURGE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    /// Set the feedback (JSON text) of event `id` of `pool_id`; false when there is none.
    pub async fn set_event_feedback(&self, pool_id: &PoolId, id: &str, feedback: &str) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE events SET feedback = $3 WHERE id = $1 AND pool_id = $2")
            .bind(id)
            .bind(pool_id)
            .bind(feedback)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
