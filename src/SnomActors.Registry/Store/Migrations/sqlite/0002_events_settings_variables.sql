-- Timeline events (the provisioning chart), versioned settings documents, per-device variables.
CREATE TABLE device_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    mac     TEXT    NOT NULL,
    at      BIGINT  NOT NULL,
    kind    TEXT    NOT NULL,
    call_id TEXT    NULL
);
CREATE INDEX ix_device_events_at_kind ON device_events (at, kind);
CREATE INDEX ix_device_events_mac_at ON device_events (mac, at);

CREATE TABLE settings_documents (
    scope           TEXT    NOT NULL,
    doc_key         TEXT    NOT NULL,
    current_version INTEGER NOT NULL,
    deleted_at      BIGINT  NULL,
    PRIMARY KEY (scope, doc_key)
);

CREATE TABLE settings_versions (
    scope      TEXT    NOT NULL,
    doc_key    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    content    TEXT    NOT NULL,
    author     TEXT    NULL,
    created_at BIGINT  NOT NULL,
    size_bytes BIGINT  NOT NULL,
    sha256     TEXT    NOT NULL,
    PRIMARY KEY (scope, doc_key, version),
    FOREIGN KEY (scope, doc_key) REFERENCES settings_documents (scope, doc_key) ON DELETE CASCADE
);

CREATE TABLE device_variables (
    mac   TEXT NOT NULL,
    name  TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (mac, name)
);
