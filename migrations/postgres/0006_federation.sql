-- Federation (CreateIdentityProvider): upstream identity providers of a pool. `details` is the
-- ProviderDetails map as JSON without `client_secret`, which is kept sealed with the master key in
-- `secret`. `attribute_mapping` maps pool attributes to upstream claims.
CREATE TABLE identity_providers (
    pool_id            TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    provider_type      TEXT NOT NULL,
    details            TEXT NOT NULL,
    secret             TEXT,
    attribute_mapping  TEXT NOT NULL,
    idp_identifiers    TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

-- IdpIdentifiers are unique within a pool; one row per identifier.
CREATE TABLE identity_provider_identifiers (
    pool_id     TEXT NOT NULL,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (pool_id, identifier),
    FOREIGN KEY (pool_id, name) REFERENCES identity_providers(pool_id, name) ON DELETE CASCADE
);

-- Upstream identities and the pool user each one signs in as: the user created by the first
-- federated sign-in, or a native user it was linked to (AdminLinkProviderForUser).
CREATE TABLE user_identities (
    pool_id           TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    provider_name     TEXT NOT NULL,
    provider_user_id  TEXT NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (pool_id, provider_name, provider_user_id)
);
CREATE INDEX user_identities_user ON user_identities(user_id);

-- A sign-in sent to an upstream provider and not yet back: keyed by a hash of the `state` sent
-- upstream, single use. `secrets` holds the nonce and PKCE verifier sealed with the master key;
-- `request` the app's authorization request to continue.
CREATE TABLE federation_states (
    state_hash     TEXT PRIMARY KEY,
    pool_id        TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    provider_name  TEXT NOT NULL,
    secrets        TEXT NOT NULL,
    request        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX federation_states_expiry ON federation_states(expires_at);
