-- ListUsers by `cognito:user_status` or `status` (Enabled/Disabled) counted its matches by
-- walking the whole pool: a status no user has read every user (a million users, seconds).
-- With these the matches are counted, and few of them read, from an index, as for usernames
-- (statuses compare byte by byte, as every text filter does: COLLATE "binary", 0015).
CREATE INDEX users_pool_status ON users (pool_id, status COLLATE "binary");
CREATE INDEX users_pool_enabled ON users (pool_id, enabled);
