-- Post-* trigger calls (PostConfirmation, PostAuthentication) that failed, kept until the
-- janitor delivers them: the function ARN, the event as sent, how many attempts failed, when
-- the next is due and why the last one failed.
CREATE TABLE trigger_retries (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    trigger_name TEXT NOT NULL,
    arn         TEXT NOT NULL,
    event       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    last_error  TEXT NOT NULL
);
CREATE INDEX trigger_retries_due ON trigger_retries (next_at);
