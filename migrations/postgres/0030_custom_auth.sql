-- CUSTOM_AUTH flows in progress (the Session of a CUSTOM_CHALLENGE), by SHA-256 of their
-- secret. A flow may be for a name no user has (PreventUserExistenceErrors=ENABLED): then
-- user_id is NULL and username is the name given. data holds the DefineAuthChallenge session
-- list and the private challenge parameters, never shown to the client.
CREATE TABLE custom_auth_sessions (
    id_hash     TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    username    TEXT NOT NULL,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX custom_auth_sessions_user ON custom_auth_sessions(user_id);
