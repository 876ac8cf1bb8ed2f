-- A pool's decoy password hash: the same format and parameters as the costliest imported hash
-- of the pool, with a random salt and digest (no password matches it, and it copies no user's
-- digest). A password check that has no imported hash of its own to verify (an unknown name, a
-- user without a password or on the server's argon2id) verifies this one too, so every check in
-- the pool costs the same. `signature` is the hash without its salt and digest (`$2b$12`,
-- `$scrypt$ln=14,r=8,p=1`); `verify_micros` what one verify of it took when it was chosen. The
-- janitor drops the row once no user of the pool has an imported hash any more.
CREATE TABLE password_decoys (
    pool_id        TEXT PRIMARY KEY REFERENCES user_pools(id) ON DELETE CASCADE,
    hash           TEXT NOT NULL,
    signature      TEXT NOT NULL,
    verify_micros  BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
