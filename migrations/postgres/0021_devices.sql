-- Remembered devices (ConfirmDevice): a user's device, known by its key, with the SRP verifier
-- of the random password only the device holds (sealed with the master key), the device group
-- key the verifier was made under, and whether the user chose to remember it.
CREATE TABLE devices (
    device_key          TEXT PRIMARY KEY,
    pool_id             TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    user_id             TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    group_key           TEXT NOT NULL,
    verifier_enc        TEXT NOT NULL,
    name                TEXT,
    remembered          BIGINT NOT NULL,
    last_ip             TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    last_authenticated_at BIGINT
);
CREATE INDEX devices_user ON devices(user_id, created_at, device_key);

-- The device a refresh token was issued to: refreshing it must name that device.
ALTER TABLE refresh_tokens ADD COLUMN device_key TEXT;

-- A user's pending challenges, for a device step answered without its session (pycognito).
CREATE INDEX auth_challenges_user ON auth_challenges(user_id, client_id);
