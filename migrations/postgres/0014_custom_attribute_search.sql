-- The dashboard searches custom attributes too: index the values users already have (new and
-- changed users are indexed as they are written). Values over 256 bytes are not searchable.
INSERT INTO user_search (pool_id, name, value, user_id)
SELECT u.pool_id, j.key, j.value, u.id
FROM users u, jsonb_each_text(u.attributes::jsonb) j
WHERE j.key LIKE 'custom:%' AND j.value <> '' AND octet_length(j.value) <= 256
ON CONFLICT DO NOTHING;
