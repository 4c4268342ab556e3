-- The admin console (issue 8): who may use it, and the indexes its pages
-- need at scale. Times are microseconds since the Unix epoch, UTC.

-- console_grants gives an identity store user access to the admin console.
-- level is FULL, READ_ONLY or POLICY; policy_arns is the JSON list of the
-- managed policies a POLICY grant acts with.
CREATE TABLE console_grants (
    user_id     TEXT   PRIMARY KEY,
    level       TEXT   NOT NULL,
    policy_arns TEXT   NOT NULL,
    granted_at  BIGINT NOT NULL,
    granted_by  TEXT   NOT NULL
);

-- Failed calls are few; these partial indexes let the audit page list
-- them (alone, by event name or by principal) without scanning successes.
CREATE INDEX audit_events_failures ON audit_events (seq) WHERE error_code <> '';
CREATE INDEX audit_events_name_failures ON audit_events (name, seq) WHERE error_code <> '';
CREATE INDEX audit_events_principal_failures ON audit_events (principal, seq) WHERE error_code <> '';
