-- Refresh tokens replaced by rotation (by hash), kept until the family would expire: one presented
-- again before valid_until (the client's RetryGracePeriodSeconds after it was replaced) still
-- refreshes; later, it is a reuse, and the whole family (its origin) is revoked.
CREATE TABLE rotated_refresh_tokens (
    token_hash   TEXT PRIMARY KEY,
    origin_jti   TEXT NOT NULL,
    valid_until  BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX rotated_refresh_tokens_expiry ON rotated_refresh_tokens(expires_at);
