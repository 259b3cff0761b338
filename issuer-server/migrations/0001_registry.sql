-- The issuer's registry (docs/jpki-registry.md). Portable SQL: the same file runs on SQLite and
-- PostgreSQL. Times are Unix seconds. Never the four facts, never a raw certificate serial:
-- every link is an HMAC-SHA-256 under the issuer's secret, hex.
CREATE TABLE IF NOT EXISTS issuer_nonces (
    hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    enrolment_id TEXT
);
CREATE INDEX IF NOT EXISTS issuer_nonces_expires ON issuer_nonces (expires_at);
CREATE TABLE IF NOT EXISTS issuer_persons (
    id TEXT PRIMARY KEY,
    auth_link TEXT UNIQUE,
    facts_link TEXT UNIQUE,
    sign_link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS issuer_persons_sign ON issuer_persons (sign_link);
CREATE TABLE IF NOT EXISTS issuer_devices (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES issuer_persons (id),
    key_thumbprint TEXT NOT NULL,
    label TEXT,
    created_at BIGINT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE (person_id, key_thumbprint)
);
CREATE TABLE IF NOT EXISTS issuer_status_lists (
    id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    size BIGINT NOT NULL,
    next_index BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS issuer_enrolments (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES issuer_persons (id),
    device_id TEXT NOT NULL REFERENCES issuer_devices (id),
    at BIGINT NOT NULL,
    method TEXT NOT NULL,
    level TEXT NOT NULL,
    credentials BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS issuer_credentials (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES issuer_devices (id),
    enrolment_id TEXT NOT NULL REFERENCES issuer_enrolments (id),
    format TEXT NOT NULL,
    status_list TEXT NOT NULL REFERENCES issuer_status_lists (id),
    status_index BIGINT NOT NULL,
    sign_link TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    state TEXT NOT NULL,
    changed_at BIGINT NOT NULL,
    UNIQUE (status_list, status_index)
);
CREATE INDEX IF NOT EXISTS issuer_credentials_device ON issuer_credentials (device_id, state);
CREATE INDEX IF NOT EXISTS issuer_credentials_sign ON issuer_credentials (sign_link);
CREATE INDEX IF NOT EXISTS issuer_credentials_list ON issuer_credentials (status_list, state);
