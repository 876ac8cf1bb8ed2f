-- Dashboard sessions: an operator signed in to /admin through the system pool's hosted UI.
-- The cookie holds a random id; only its hash is stored. Idle and absolute expiry are checked
-- on every request; sign-out deletes the row. created_at is in epoch milliseconds (compared with
-- the user's tokens_valid_after: a global sign-out ends the sessions started before it).
CREATE TABLE admin_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_sub    TEXT NOT NULL,
    username    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX admin_sessions_user ON admin_sessions(user_sub);
CREATE INDEX admin_sessions_expiry ON admin_sessions(expires_at);
