-- Global sign-out and disabling compare to the millisecond: tokens_valid_after becomes epoch
-- milliseconds (tokens are dated by the UUIDv7 of their sign-in's origin_jti).
UPDATE users SET tokens_valid_after = tokens_valid_after * 1000;
-- Temporary credentials name the role they were vended for by its unique id, so a role deleted
-- and created again under the same name, in the same second, does not honour them.
ALTER TABLE temporary_credentials ADD COLUMN role_id TEXT;
