-- 0002_bans.sql - addresses refused at accept (iosctl ban), kept across
-- restarts; expired rows are removed at start and as they expire.

CREATE TABLE bans (
	-- "ADDR" or "ADDR/N", as normalised by iosd
	net		TEXT PRIMARY KEY,
	-- Unix seconds when it ends; NULL: until unbanned
	until		INTEGER,
	reason		TEXT,
	created_at	INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
