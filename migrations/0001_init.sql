-- 0001_init.sql - devices, quota levels, audit log, retained signals.
-- Applied in one transaction by iosd; PRAGMA user_version records it.

CREATE TABLE devices (
	id		TEXT PRIMARY KEY
			CHECK (length(CAST(id AS BLOB)) BETWEEN 1 AND 8),
	-- base64 of SHA-256 of the secret: the secret itself is never stored
	key		TEXT NOT NULL CHECK (length(key) = 44),
	-- at most 10 bytes, so Arduino boards (CID_RES < 12 bytes) accept it
	cid		TEXT NOT NULL UNIQUE
			CHECK (length(CAST(cid AS BLOB)) BETWEEN 1 AND 10),
	level		INTEGER NOT NULL DEFAULT 1 CHECK (level BETWEEN 0 AND 255),
	disabled	INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	created_at	INTEGER NOT NULL DEFAULT (unixepoch()),
	updated_at	INTEGER NOT NULL DEFAULT (unixepoch()),
	last_seen	INTEGER,
	last_addr	TEXT,
	logins		INTEGER NOT NULL DEFAULT 0,
	failures	INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE quota_levels (
	level		INTEGER PRIMARY KEY CHECK (level BETWEEN 0 AND 255),
	signal_size	INTEGER NOT NULL CHECK (signal_size > 0),
	publish_counter	INTEGER NOT NULL CHECK (publish_counter > 0),
	traffic_rate	INTEGER NOT NULL CHECK (traffic_rate > 0)
) STRICT;

-- The reference's quotaTable.js.
INSERT INTO quota_levels VALUES
	(0, 1500, 10, 10000),
	(1, 255, 10, 100000),
	(2, 65535, 10, 1048576),
	(3, 1048576, 10, 20971520),
	(10, 1500, 5, 20971520),
	(11, 65535, 10, 20971520),
	(12, 1048576, 100, 20971520),
	(200, 20971520, 10000, 104857600),
	(255, 20971520, 10000, 104857600);

CREATE TABLE audit (
	seq		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL DEFAULT (unixepoch()),
	event		TEXT NOT NULL,	-- enroll, revoke, level, rotate, login_ok, login_fail, ...
	device		TEXT,
	addr		TEXT,
	detail		TEXT
) STRICT;
CREATE INDEX audit_device ON audit (device, seq);

CREATE TABLE retained (
	key		TEXT PRIMARY KEY,	-- router key, e.g. "CH:room$1"
	message		BLOB NOT NULL,		-- the whole SIGNAL as published
	updated_at	INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
