-- Passkeys (WebAuthn credentials) of users. `passkey` is webauthn-rs's record of the credential:
-- its public key, signature counter and backup flags (nothing secret); the other columns are
-- what ListWebAuthnCredentials shows. A credential id is unique within a pool.
CREATE TABLE webauthn_credentials (
    pool_id                   TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    credential_id             TEXT NOT NULL,
    user_id                   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    passkey                   TEXT NOT NULL,
    friendly_name             TEXT NOT NULL,
    relying_party_id          TEXT NOT NULL,
    authenticator_attachment  TEXT,
    transports                TEXT NOT NULL,
    created_at                BIGINT NOT NULL,
    last_used_at              BIGINT,
    PRIMARY KEY (pool_id, credential_id)
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id, created_at);

-- A registration under way (StartWebAuthnRegistration → CompleteWebAuthnRegistration): one per
-- user, the newest replacing the last; `state` is webauthn-rs's registration state (the
-- challenge and the options sent), `client_id` the app client whose token started it.
CREATE TABLE webauthn_registrations (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
