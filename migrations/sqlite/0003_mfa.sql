-- Second factors per user. TOTP secrets are sealed with the master key; the pending secret
-- waits for its first code (AssociateSoftwareToken -> VerifySoftwareToken).
CREATE TABLE user_mfa (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    totp_secret     TEXT,
    totp_pending    TEXT,
    totp_enabled    INTEGER NOT NULL DEFAULT 0,
    -- the last accepted TOTP time step: a code is accepted once
    totp_last_step  INTEGER NOT NULL DEFAULT 0,
    email_enabled   INTEGER NOT NULL DEFAULT 0,
    preferred       TEXT,
    updated_at      INTEGER NOT NULL
);

-- One-time recovery codes (keyed MACs), for users who lose their authenticator.
CREATE TABLE recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_mac    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, code_mac)
);
