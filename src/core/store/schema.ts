/**
 * The traffic database schema. `PRAGMA application_id` marks a file as ours, so a foreign SQLite file is refused;
 * `PRAGMA user_version` is the schema version, and MIGRATIONS[i] takes a file from version i to i + 1.
 */
export const APPLICATION_ID = 0x43484153; // 'CHAS'

export const MIGRATIONS: readonly string[] = [
  // 0 → 1
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,              -- 'reverse' | 'forward' | 'import'
    target TEXT,                     -- upstream origin for reverse mode, source file for imports
    listen TEXT,                     -- host:port the proxy listened on
    started_at REAL NOT NULL,        -- epoch milliseconds
    stopped_at REAL,
    dropped INTEGER NOT NULL DEFAULT 0,  -- exchanges not stored because the recorder fell behind
    note TEXT
  );
  CREATE TABLE bodies (
    hash TEXT PRIMARY KEY,           -- sha256 of the body as sent on the wire (or of the redacted body)
    data BLOB NOT NULL               -- decoded (gzip/deflate/br removed), capped, redacted
  );
  CREATE TABLE exchanges (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,            -- order within the session, assigned by the proxy
    protocol TEXT NOT NULL,          -- 'http' | 'https' | 'ws' | 'tunnel'
    connection_id INTEGER,           -- client connection, to see keep-alive reuse
    started_at REAL NOT NULL,        -- epoch milliseconds
    ttfb_ms REAL,                    -- request start → response headers
    duration_ms REAL,                -- request start → response end
    method TEXT NOT NULL,
    url TEXT NOT NULL,               -- absolute URL of the upstream request (host:port for tunnels)
    host TEXT,
    path TEXT,                       -- path without the query string
    status INTEGER,
    request_headers TEXT NOT NULL,   -- JSON [[name, value], ...] in wire order
    response_headers TEXT,
    request_body_hash TEXT REFERENCES bodies(hash),
    request_body_size INTEGER NOT NULL DEFAULT 0,   -- full size on the wire
    request_body_truncated INTEGER NOT NULL DEFAULT 0,
    request_content_type TEXT,
    response_body_hash TEXT REFERENCES bodies(hash),
    response_body_size INTEGER NOT NULL DEFAULT 0,
    response_body_truncated INTEGER NOT NULL DEFAULT 0,
    response_content_type TEXT,
    error TEXT,                      -- why the exchange failed (target down, client aborted, ...)
    parent_id INTEGER REFERENCES exchanges(id),
    redacted INTEGER NOT NULL DEFAULT 0
  );
  -- No secondary indexes on exchanges: every index is paid for on the capture path, per row. Journal replay is
  -- made idempotent by log sequence numbers instead of a UNIQUE constraint.
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    exchange_id INTEGER NOT NULL REFERENCES exchanges(id),
    direction TEXT NOT NULL,         -- 'client' (client → server) | 'server'
    at REAL NOT NULL,
    opcode INTEGER NOT NULL,         -- 1 text, 2 binary, 8 close, 9 ping, 10 pong
    size INTEGER NOT NULL,
    data BLOB,
    truncated INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX messages_by_exchange ON messages(exchange_id);
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    spec TEXT,
    result TEXT,
    started_at REAL NOT NULL,
    finished_at REAL
  );
  CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    kind TEXT NOT NULL,
    rule TEXT,
    severity TEXT,
    exchange_id INTEGER REFERENCES exchanges(id),
    detail TEXT
  );
  -- For people reading the file with the sqlite3 shell.
  CREATE VIEW exchange_view AS
    SELECT e.id, e.session_id, e.protocol, e.method, e.url, e.status, e.duration_ms, e.error,
           CAST(rq.data AS TEXT) AS request_body, CAST(rs.data AS TEXT) AS response_body
    FROM exchanges e
    LEFT JOIN bodies rq ON rq.hash = e.request_body_hash
    LEFT JOIN bodies rs ON rs.hash = e.response_body_hash;
  `,
  // 1 → 2: the HTTP version of each leg (client → proxy, proxy → upstream); null for tunnels, wire calls, imports.
  `
  ALTER TABLE exchanges ADD COLUMN http_version TEXT;
  ALTER TABLE exchanges ADD COLUMN upstream_http_version TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
