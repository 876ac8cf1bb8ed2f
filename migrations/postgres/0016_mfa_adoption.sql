-- MFA adoption over time: for each pool and hour, how many users had a second factor turned on
-- and how many users there were. The janitor takes a reading once an hour; the first node to get
-- there writes it and the others find the hour taken. Readings go with the event retention.
CREATE TABLE mfa_adoption (
    pool_id   TEXT NOT NULL,
    at        BIGINT NOT NULL,
    with_mfa  BIGINT NOT NULL,
    users     BIGINT NOT NULL,
    PRIMARY KEY (pool_id, at)
);
CREATE INDEX mfa_adoption_at ON mfa_adoption(at);
