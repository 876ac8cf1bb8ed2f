-- Prefix searches (ListUsers' ^=, the dashboard's search) read a range of an index, from the
-- prefix up to the prefix with its last character incremented, compared byte by byte: the order
-- of SQLite's BINARY collation and of the bound computed in Rust. A database's own collation may
-- be linguistic (en_US.UTF-8: 'Alfred' sorts between 'al' and 'am'), so the queries say
-- COLLATE "binary", which SQLite knows as BINARY and which is the C collation here.
CREATE COLLATION IF NOT EXISTS "binary" FROM "C";

-- Search values compare in that order: the primary key is rebuilt in it (= matches as before).
ALTER TABLE user_search ALTER COLUMN value TYPE TEXT COLLATE "binary";

-- Usernames had no index; subs have the primary key's, in the database's collation.
CREATE INDEX users_pool_username ON users (pool_id, username COLLATE "binary");
CREATE INDEX users_id_binary ON users (id COLLATE "binary");
