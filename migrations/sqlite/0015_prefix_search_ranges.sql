-- Prefix searches (ListUsers' ^=, the dashboard's search) read a range of an index compared byte
-- by byte (BINARY, SQLite's default collation): search values have the primary key of
-- user_search, subs the primary key of users; usernames had no index.
CREATE INDEX users_pool_username ON users (pool_id, username);
