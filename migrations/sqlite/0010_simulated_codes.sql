-- Codes "sent" to usernames that do not exist, for clients with PreventUserExistenceErrors: no
-- code is made or mailed, only when it would expire and how many wrong guesses it has had, so
-- that confirming answers as it would for a real user (expired, wrong code, used up). Keyed by
-- a MAC of the pool and username, never the username itself.
CREATE TABLE simulated_codes (
    key              TEXT NOT NULL,
    purpose          TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, purpose)
);
CREATE INDEX simulated_codes_expiry ON simulated_codes(expires_at);
