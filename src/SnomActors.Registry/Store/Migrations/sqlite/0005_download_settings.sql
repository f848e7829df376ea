-- What each download served (issue 3 audit): the request method (a HEAD only asks, it does not
-- download) and the settings document version rendered for it. Older rows keep NULL: unknown.
ALTER TABLE downloads ADD COLUMN method TEXT NULL;
ALTER TABLE downloads ADD COLUMN settings_scope TEXT NULL;
ALTER TABLE downloads ADD COLUMN settings_key TEXT NULL;
ALTER TABLE downloads ADD COLUMN settings_version INTEGER NULL;
