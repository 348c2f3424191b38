-- 0005_acl.sql - channel permissions (doc/iosd.md "Channel permissions"),
-- managed with iosctl acl add|remove|list. Rules are tried in ascending
-- (prio, id) order; the first whose who, what and pattern match decides.
-- No rule matching: allowed, as without any rule.

CREATE TABLE acl (
	id		INTEGER PRIMARY KEY,
	prio		INTEGER NOT NULL DEFAULT 100
			CHECK (prio BETWEEN 0 AND 1000000),
	effect		TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
	-- a device id, 'level:A-B', 'anonymous' or 'any'
	who		TEXT NOT NULL CHECK (length(CAST(who AS BLOB)) BETWEEN 1 AND 64),
	action		TEXT NOT NULL
			CHECK (action IN ('subscribe', 'publish', 'both')),
	-- fnmatch(3) glob, no flags, over the tag as the router classifies it
	pattern		TEXT NOT NULL
			CHECK (length(CAST(pattern AS BLOB)) BETWEEN 1 AND 255),
	created_at	INTEGER NOT NULL DEFAULT (unixepoch())
) STRICT;
