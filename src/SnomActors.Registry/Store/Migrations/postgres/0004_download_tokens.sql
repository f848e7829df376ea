-- Per-device download tokens (issue 5: DownloadProtection = Token). Operator configuration like the
-- variables: kept when a device is deleted, so a phone that comes back keeps its URL.
CREATE TABLE download_tokens (
    mac       TEXT   NOT NULL PRIMARY KEY,
    token     TEXT   NOT NULL,
    issued_at BIGINT NOT NULL
);
