-- Terms documents (CreateTerms): an app client's terms of use or privacy policy, as links per
-- managed-login language (`cognito:default`, `cognito:english`, …, a JSON object), shown on the
-- client's hosted sign-up page. One document of each name per client.
CREATE TABLE terms (
    terms_id     TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    client_id    TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    source       TEXT NOT NULL,
    enforcement  TEXT NOT NULL,
    links        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (client_id, name)
);
CREATE INDEX terms_pool ON terms(pool_id, terms_id);
