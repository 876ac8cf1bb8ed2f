-- Signing keys also serve issuers that are not user pools (the identity-pool OpenID token issuer,
-- owner `identity`), so the key owner is no longer a foreign key to user_pools; deleting a pool
-- deletes its keys explicitly.
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_pool_id_fkey;

-- Identity pools (CreateIdentityPool). `config` is the IdentityPool shape as JSON (name, flags,
-- login providers, developer provider, tags); `roles` the SetIdentityPoolRoles input (Roles and
-- RoleMappings) as JSON.
CREATE TABLE identity_pools (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    roles       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX identity_pools_name ON identity_pools(name, id);

-- Identities (GetId): `merged_into` names the identity a merged one now lives in; a disabled
-- identity gets no credentials.
CREATE TABLE identities (
    id           TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES identity_pools(id) ON DELETE CASCADE,
    enabled      INTEGER NOT NULL,
    merged_into  TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX identities_pool ON identities(pool_id, created_at, id);

-- The logins linked to an identity: provider (`accounts.google.com`, a user-pool provider name,
-- a developer provider) and the user's id there (the token's `sub`, or the developer user id).
CREATE TABLE identity_logins (
    pool_id      TEXT NOT NULL REFERENCES identity_pools(id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    subject      TEXT NOT NULL,
    identity_id  TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, provider, subject)
);
CREATE INDEX identity_logins_identity ON identity_logins(identity_id);

-- IAM roles (CreateRole) and their inline policies (PutRolePolicy); documents as given (JSON text).
CREATE TABLE iam_roles (
    name                  TEXT PRIMARY KEY,
    role_id               TEXT NOT NULL UNIQUE,
    path                  TEXT NOT NULL,
    assume_role_policy    TEXT NOT NULL,
    description           TEXT,
    max_session_duration  BIGINT NOT NULL,
    created_at            BIGINT NOT NULL
);

-- IAM role names are unique without regard to case (and looked up that way).
CREATE UNIQUE INDEX iam_roles_name_ci ON iam_roles(lower(name));

CREATE TABLE iam_role_policies (
    role_name    TEXT NOT NULL REFERENCES iam_roles(name) ON DELETE CASCADE,
    policy_name  TEXT NOT NULL,
    document     TEXT NOT NULL,
    PRIMARY KEY (role_name, policy_name)
);

-- Temporary credentials vended for a role (GetCredentialsForIdentity, AssumeRoleWithWebIdentity):
-- the secret key sealed with the master key, the session token only as a SHA-256 hash.
CREATE TABLE temporary_credentials (
    access_key_id       TEXT PRIMARY KEY,
    secret_enc          TEXT NOT NULL,
    session_token_hash  TEXT NOT NULL,
    role_name           TEXT NOT NULL,
    session_name        TEXT NOT NULL,
    subject             TEXT NOT NULL,
    audience            TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    revoked_at          BIGINT
);
CREATE INDEX temporary_credentials_expiry ON temporary_credentials(expires_at);
