-- A client's secrets once they are rotated (AddUserPoolClientSecret): at most two, each sealed
-- with the master key under its own id. While a client has rows here they are its secrets, the
-- one in clients.secret_enc among them; without rows clients.secret_enc is its only secret.
CREATE TABLE client_secrets (
    client_id   TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    secret_id   TEXT NOT NULL,
    secret_enc  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (client_id, secret_id)
);
