-- The dashboard searches custom attributes too: index the values users already have (new and
-- changed users are indexed as they are written). Values over 256 bytes are not searchable.
INSERT INTO user_search (pool_id, name, value, user_id)
SELECT u.pool_id, j.key, j.value, u.id
FROM users u, json_each(u.attributes) j
WHERE j.key LIKE 'custom:%' AND j.type = 'text' AND j.value <> '' AND length(CAST(j.value AS BLOB)) <= 256
ON CONFLICT DO NOTHING;
