-- 0003_cid_length.sql - CIDs of up to 20 bytes, as the reference server
-- accepts them (its own sample auth_file.json has a 16-byte one). Arduino
-- boards still take only 10: doc/auth.md says so. SQLite cannot change a
-- CHECK in place: the table is made again, rows and all.

CREATE TABLE devices_new (
	id		TEXT PRIMARY KEY
			CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND 8),
	key		TEXT NOT NULL CHECK (length(key) = 44),
	cid		TEXT NOT NULL UNIQUE
			CHECK (length(CAST(cid AS BLOB)) BETWEEN 1 AND 20),
	level		INTEGER NOT NULL DEFAULT 1 CHECK (level BETWEEN 0 AND 255),
	disabled	INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_at	INTEGER NOT NULL DEFAULT (unixepoch()),
	updated_at	INTEGER NOT NULL DEFAULT (unixepoch()),
	last_seen	INTEGER,
	last_addr	TEXT,
	logins		INTEGER NOT NULL DEFAULT 0,
	failures	INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO devices_new SELECT id, key, cid, level, disabled, created_at,
	updated_at, last_seen, last_addr, logins, failures FROM devices;
DROP TABLE devices;
ALTER TABLE devices_new RENAME TO devices;
