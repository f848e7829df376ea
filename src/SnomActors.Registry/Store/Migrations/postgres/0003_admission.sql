-- Quarantine / approval of devices (issue 5). Existing devices stay provisionable.
ALTER TABLE devices ADD COLUMN admission TEXT NOT NULL DEFAULT 'allowed';
CREATE INDEX ix_devices_admission ON devices (admission);
