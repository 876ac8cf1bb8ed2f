-- Leases for work that one node at a time should do (the janitor's cleanup): the holder and
-- until when; another node takes the lease only once it has run out.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
