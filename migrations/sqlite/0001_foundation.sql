-- Foundation schema. Ids are TEXT, times INTEGER epoch seconds, JSON is TEXT,
-- booleans INTEGER 0/1: both dialects read the same rows.

CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE management_keys (
    access_key_id TEXT PRIMARY KEY,
    secret_enc    TEXT NOT NULL,
    description   TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE user_pools (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    state        TEXT NOT NULL,
    private_enc  TEXT NOT NULL,
    public_jwk   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    retired_at   INTEGER
);
CREATE INDEX signing_keys_pool ON signing_keys(pool_id, state);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    secret_enc  TEXT,
    config      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX clients_pool ON clients(pool_id, created_at);

CREATE TABLE domains (
    domain      TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    custom      INTEGER NOT NULL,
    config      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX domains_pool ON domains(pool_id);

CREATE TABLE resource_servers (
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    pool_id             TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    username            TEXT NOT NULL,
    username_key        TEXT NOT NULL,
    status              TEXT NOT NULL,
    enabled             INTEGER NOT NULL,
    password_hash       TEXT,
    password_set_at     INTEGER,
    attributes          TEXT NOT NULL,
    tokens_valid_after  INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (pool_id, username_key)
);
CREATE INDEX users_pool_created ON users(pool_id, created_at, id);

-- Sign-in names other than the username: email/phone as username, verified aliases.
CREATE TABLE user_aliases (
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    value_key   TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, kind, value_key)
);
CREATE INDEX user_aliases_user ON user_aliases(user_id);

CREATE TABLE groups (
    pool_id      TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    role_arn     TEXT,
    precedence   INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE group_members (
    pool_id     TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, group_name, user_id),
    FOREIGN KEY (pool_id, group_name) REFERENCES groups(pool_id, name) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members(user_id);

CREATE TABLE login_failures (
    pool_id        TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    failures       INTEGER NOT NULL,
    last_failure   INTEGER NOT NULL,
    locked_until   INTEGER NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);

CREATE TABLE browser_sessions (
    id_hash     TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX browser_sessions_user ON browser_sessions(user_id);

-- Pending sign-in challenges (the Session string of InitiateAuth and the hosted pages).
CREATE TABLE auth_challenges (
    id_hash     TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    challenge   TEXT NOT NULL,
    data        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

CREATE TABLE auth_codes (
    code_hash       TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    auth_time       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    origin_jti      TEXT
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    origin_jti  TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    auth_time   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);

-- Searchable attribute values for ListUsers filters (email, phone_number, name, …).
CREATE TABLE user_search (
    pool_id  TEXT NOT NULL,
    name     TEXT NOT NULL,
    value    TEXT NOT NULL,
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (pool_id, name, value, user_id)
);
CREATE INDEX user_search_user ON user_search(user_id);
CREATE INDEX auth_codes_origin ON auth_codes(origin_jti);
