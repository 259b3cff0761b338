-- The audit log: one row per verification (docs/till.md, "Audit log"). Portable SQL: the same
-- file runs on SQLite and PostgreSQL. Times are UTC; at_ms orders and filters, at is RFC 3339.
-- Never an attribute value, never the portrait.
CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    at TEXT NOT NULL,
    store_id TEXT NOT NULL,
    till_id TEXT NOT NULL,
    transport TEXT NOT NULL,
    format TEXT,
    verdict TEXT NOT NULL,
    reason TEXT,
    doc_type TEXT,
    iaca_subject TEXT,
    ds_subject TEXT,
    ds_serial TEXT,
    country TEXT,
    checks TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at_ms ON audit_log (at_ms);
