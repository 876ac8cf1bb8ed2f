-- The event log: sign-in events (category `auth`) and the admin audit trail (category
-- `audit`) in one append-only table; only `feedback` is ever updated. `at` is epoch
-- MILLISECONDS and `id` a UUIDv7 on the same clock, so (at, id) orders events and pages them.
-- `pool_id` has no foreign key: events outlive a deleted pool until retention removes them
-- (NULL for audit events of things outside user pools). `details` is JSON and never holds a
-- secret, password, code or token.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT,
    at          BIGINT NOT NULL,
    category    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    reason      TEXT,
    user_sub    TEXT,
    username    TEXT,
    client_id   TEXT,
    ip          TEXT,
    actor       TEXT,
    target      TEXT,
    details     TEXT,
    feedback    TEXT
);
-- A pool's log, and the charts over it.
CREATE INDEX events_pool_at ON events(pool_id, at, id);
-- A user's timeline (AdminListUserAuthEvents, the dashboard's user page).
CREATE INDEX events_pool_user_at ON events(pool_id, user_sub, at, id);
-- Retention, and the log across every pool.
CREATE INDEX events_at ON events(at, id);
-- The dashboard's filters.
CREATE INDEX events_pool_username_at ON events(pool_id, username, at);
CREATE INDEX events_pool_client_at ON events(pool_id, client_id, at);
CREATE INDEX events_pool_type_at ON events(pool_id, event_type, at);
CREATE INDEX events_ip_at ON events(ip, at);
