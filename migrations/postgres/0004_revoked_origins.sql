-- Revoked sign-in origins (origin_jti), kept until every token of the origin has expired. A
-- replayed authorization code can revoke an origin before its first redemption has stored the
-- refresh token; this row still stops the tokens that redemption hands out.
CREATE TABLE revoked_origins (
    origin_jti  TEXT PRIMARY KEY,
    revoked_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX revoked_origins_expiry ON revoked_origins(expires_at);
