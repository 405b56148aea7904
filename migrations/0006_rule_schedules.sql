-- Rules may run on a schedule (a cron expression read in a time zone)
-- instead of on events; a scheduled rule has an empty event_type.

ALTER TABLE rules
    ADD COLUMN schedule text NOT NULL DEFAULT '',
    ADD COLUMN timezone text NOT NULL DEFAULT '',
    ADD CONSTRAINT rules_one_trigger CHECK ((event_type = '') <> (schedule = ''));
