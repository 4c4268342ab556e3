-- Times are microseconds since the Unix epoch, UTC, in both backends.
CREATE TABLE instance (
    singleton         INTEGER PRIMARY KEY CHECK (singleton = 1),
    instance_id       TEXT    NOT NULL,
    identity_store_id TEXT    NOT NULL,
    owner_account_id  TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL
);

CREATE TABLE access_keys (
    id            TEXT   PRIMARY KEY,
    secret_sealed BLOB   NOT NULL,
    principal_arn TEXT   NOT NULL,
    account_id    TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT   PRIMARY KEY,
    user_name     TEXT   NOT NULL,
    user_name_key TEXT   NOT NULL,
    email_key     TEXT,
    display_name  TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    profile       TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    created_by    TEXT   NOT NULL,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT   NOT NULL,
    version       BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_user_name_key ON users (user_name_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key) WHERE email_key IS NOT NULL;

CREATE TABLE groups (
    id               TEXT   PRIMARY KEY,
    display_name     TEXT   NOT NULL,
    display_name_key TEXT   NOT NULL,
    description      TEXT   NOT NULL,
    external_ids     TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT   NOT NULL,
    updated_at       BIGINT NOT NULL,
    updated_by       TEXT   NOT NULL,
    version          BIGINT NOT NULL
);
CREATE UNIQUE INDEX groups_display_name_key ON groups (display_name_key);

CREATE TABLE memberships (
    id         TEXT   PRIMARY KEY,
    group_id   TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT   NOT NULL
);
CREATE UNIQUE INDEX memberships_pair ON memberships (group_id, user_id);
CREATE INDEX memberships_group ON memberships (group_id, id);
CREATE INDEX memberships_user ON memberships (user_id, id);

-- external_ids indexes the external identifiers of users and groups (which
-- are also kept in their records) so that they stay unique and can be looked
-- up.
CREATE TABLE external_ids (
    kind        TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    PRIMARY KEY (kind, issuer, external_id)
);
CREATE INDEX external_ids_owner ON external_ids (owner_id);

CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT   NOT NULL,
    event_time BIGINT NOT NULL,
    source     TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    principal  TEXT   NOT NULL,
    error_code TEXT   NOT NULL,
    document   TEXT   NOT NULL
);
CREATE UNIQUE INDEX audit_events_event_id ON audit_events (event_id);
CREATE INDEX audit_events_name ON audit_events (name, seq);
CREATE INDEX audit_events_principal ON audit_events (principal, seq);
CREATE INDEX audit_events_time ON audit_events (event_time);
