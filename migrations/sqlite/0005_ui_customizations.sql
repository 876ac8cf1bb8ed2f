-- Hosted-UI branding (SetUICustomization): per pool, for one client or 'ALL' (the pool's
-- default). CSS is kept as given once it passed the checks; the logo as base64 with its type. `version`
-- is a hash of the content: the cache-busting query of the served CSS and logo URLs.
CREATE TABLE ui_customizations (
    pool_id     TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    css         TEXT,
    image       TEXT,
    image_type  TEXT,
    version     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (pool_id, client_id)
);
