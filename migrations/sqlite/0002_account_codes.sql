-- One-time codes mailed to users (sign-up confirmation, forgot password, attribute
-- verification): one live code per user and purpose, stored as a keyed MAC, never in clear.
CREATE TABLE user_codes (
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose          TEXT NOT NULL,
    code_mac         TEXT NOT NULL,
    -- the attribute the code was sent to (email | phone_number), confirmed on success
    destination      TEXT NOT NULL,
    expires_at       INTEGER NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, purpose)
);
CREATE INDEX user_codes_expiry ON user_codes(expires_at);

-- Fixed-window rate counters shared by every node (resend limits, code-entry attempts).
CREATE TABLE rate_counters (
    key           TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
);
CREATE INDEX rate_counters_window ON rate_counters(window_start);
