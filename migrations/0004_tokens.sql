-- 0004_tokens.sql - bearer tokens of the HTTP API (doc/api.md), made by
-- iosctl token create. The token itself is shown once and never stored:
-- only its SHA-256. Expired rows stay until revoked (iosctl token list
-- shows them as expired).

CREATE TABLE tokens (
	id		INTEGER PRIMARY KEY,
	-- SHA-256 of the token's text (43 base64url characters)
	hash		BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
	scope		TEXT NOT NULL CHECK (scope IN ('read', 'publish', 'admin')),
	name		TEXT CHECK (name IS NULL OR length(CAST(name AS BLOB)) <= 64),
	-- Unix seconds when it stops working; NULL: never
	expires_at	INTEGER,
	created_at	INTEGER NOT NULL DEFAULT (unixepoch()),
	last_used	INTEGER
) STRICT;
