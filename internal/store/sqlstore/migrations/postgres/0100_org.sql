-- Accounts and organizational units of the organization (issue 3).
-- Times are microseconds since the Unix epoch, UTC.
CREATE TABLE organization (
    singleton             SMALLINT PRIMARY KEY CHECK (singleton = 1),
    id                    TEXT   NOT NULL,
    root_id               TEXT   NOT NULL,
    management_account_id TEXT   NOT NULL,
    feature_set           TEXT   NOT NULL,
    created_at            BIGINT NOT NULL
);

CREATE TABLE org_accounts (
    id            TEXT   PRIMARY KEY,
    name          TEXT   NOT NULL,
    email         TEXT   NOT NULL,
    email_key     TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    joined_method TEXT   NOT NULL,
    joined_at     BIGINT NOT NULL,
    parent_id     TEXT   NOT NULL
);
CREATE UNIQUE INDEX org_accounts_email_key ON org_accounts (email_key);
CREATE INDEX org_accounts_parent ON org_accounts (parent_id, id);

CREATE TABLE org_units (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    parent_id  TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX org_units_parent_name ON org_units (parent_id, name_key);
CREATE INDEX org_units_parent ON org_units (parent_id, id);

CREATE TABLE org_tags (
    resource_id TEXT NOT NULL,
    tag_key     TEXT NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (resource_id, tag_key)
);

-- create_account_requests is both the status of CreateAccount calls and the
-- queue the worker takes them from (state IN_PROGRESS, lease run out).
CREATE TABLE create_account_requests (
    id             TEXT   PRIMARY KEY,
    account_name   TEXT   NOT NULL,
    email          TEXT   NOT NULL,
    state          TEXT   NOT NULL,
    failure_reason TEXT   NOT NULL,
    account_id     TEXT   NOT NULL,
    tags           TEXT   NOT NULL,
    requested_at   BIGINT NOT NULL,
    completed_at   BIGINT NOT NULL,
    lease_until    BIGINT NOT NULL
);
CREATE INDEX create_account_requests_state ON create_account_requests (state, id);
