-- Devices with the steps of their last provisioning attempt, and every settings download.
-- Timestamps are Unix milliseconds (UTC) in both dialects so that queries stay identical.
CREATE TABLE devices (
    mac                    TEXT    NOT NULL PRIMARY KEY,
    vendor                 TEXT    NOT NULL,
    model                  TEXT    NULL,
    firmware               TEXT    NULL,
    user_agent             TEXT    NULL,
    last_ip                TEXT    NULL,
    last_port              INTEGER NULL,
    first_seen             BIGINT  NOT NULL,
    last_seen              BIGINT  NOT NULL,
    state                  TEXT    NOT NULL,
    call_id                TEXT    NULL,
    subscribe_seen_at      BIGINT  NULL,
    answered_at            BIGINT  NULL,
    notify_sent_at         BIGINT  NULL,
    notify_url             TEXT    NULL,
    notify_acked_at        BIGINT  NULL,
    failed_at              BIGINT  NULL,
    failure_reason         TEXT    NULL,
    failure_status         INTEGER NULL,
    settings_downloaded_at BIGINT  NULL
);
CREATE INDEX ix_devices_last_seen ON devices (last_seen DESC, mac);
CREATE INDEX ix_devices_vendor ON devices (vendor);
CREATE INDEX ix_devices_state ON devices (state);

CREATE TABLE downloads (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    mac       TEXT    NOT NULL,
    at        BIGINT  NOT NULL,
    source_ip TEXT    NULL,
    status    INTEGER NOT NULL,
    bytes     BIGINT  NOT NULL,
    etag      TEXT    NULL,
    path      TEXT    NULL
);
CREATE INDEX ix_downloads_mac_at ON downloads (mac, at);
