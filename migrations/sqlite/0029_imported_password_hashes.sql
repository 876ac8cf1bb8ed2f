-- A pool's Firebase scrypt parameters, for users imported with `$firebase-scrypt$` password
-- hashes (Firebase's export keeps these per project, not per user). The signer key is secret:
-- sealed with the master key (context `firebase-signer-key:{pool_id}`); the salt separator is
-- base64; rounds is scrypt's r and mem_cost log2 of its N.
CREATE TABLE firebase_scrypt_params (
    pool_id         TEXT PRIMARY KEY REFERENCES user_pools(id) ON DELETE CASCADE,
    signer_key_enc  TEXT NOT NULL,
    salt_separator  TEXT NOT NULL,
    rounds          BIGINT NOT NULL,
    mem_cost        BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
