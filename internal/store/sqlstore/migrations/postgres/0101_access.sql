-- Permission sets, account assignments, provisioned roles and the status of
-- asynchronous sso-admin operations (issue 3).
-- Times are microseconds since the Unix epoch, UTC.
CREATE TABLE permission_sets (
    id               TEXT   PRIMARY KEY,
    name             TEXT   NOT NULL,
    name_key         TEXT   NOT NULL,
    description      TEXT   NOT NULL,
    session_duration TEXT   NOT NULL,
    relay_state      TEXT   NOT NULL,
    inline_policy    TEXT   NOT NULL,
    boundary         TEXT   NOT NULL,
    version          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX permission_sets_name_key ON permission_sets (name_key);

CREATE TABLE ps_managed_policies (
    permission_set_id TEXT   NOT NULL,
    arn               TEXT   NOT NULL,
    name              TEXT   NOT NULL,
    attached_at       BIGINT NOT NULL,
    PRIMARY KEY (permission_set_id, arn)
);

CREATE TABLE ps_customer_policies (
    permission_set_id TEXT NOT NULL,
    path              TEXT NOT NULL,
    name              TEXT NOT NULL,
    PRIMARY KEY (permission_set_id, path, name)
);

-- sso_tags holds the tags of the instance (resource id "instance") and of
-- permission sets (by id).
CREATE TABLE sso_tags (
    resource_id TEXT NOT NULL,
    tag_key     TEXT NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (resource_id, tag_key)
);

CREATE TABLE account_assignments (
    account_id        TEXT   NOT NULL,
    permission_set_id TEXT   NOT NULL,
    principal_type    TEXT   NOT NULL,
    principal_id      TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    PRIMARY KEY (account_id, permission_set_id, principal_type, principal_id)
);
CREATE INDEX account_assignments_principal ON account_assignments (principal_id, account_id, permission_set_id, principal_type);
CREATE INDEX account_assignments_permission_set ON account_assignments (permission_set_id, account_id);

CREATE TABLE provisioned_roles (
    permission_set_id      TEXT   NOT NULL,
    account_id             TEXT   NOT NULL,
    role_name              TEXT   NOT NULL,
    role_name_key          TEXT   NOT NULL,
    role_id                TEXT   NOT NULL,
    path                   TEXT   NOT NULL,
    permission_set_version BIGINT NOT NULL,
    revision               BIGINT NOT NULL,
    policies               TEXT   NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    PRIMARY KEY (permission_set_id, account_id)
);
CREATE UNIQUE INDEX provisioned_roles_name ON provisioned_roles (account_id, role_name_key);
CREATE UNIQUE INDEX provisioned_roles_role_id ON provisioned_roles (role_id);

-- role_policy_attachments indexes the customer-managed policies each
-- provisioned role attaches, so that IAM can count and refuse to delete
-- policies in use.
CREATE TABLE role_policy_attachments (
    account_id        TEXT    NOT NULL,
    policy_arn        TEXT    NOT NULL,
    permission_set_id TEXT    NOT NULL,
    boundary          INTEGER NOT NULL,
    PRIMARY KEY (account_id, policy_arn, permission_set_id, boundary)
);
CREATE INDEX role_policy_attachments_role ON role_policy_attachments (permission_set_id, account_id);

-- sso_operations is both the status of asynchronous sso-admin calls and the
-- queue the worker takes them from (status IN_PROGRESS, lease run out).
CREATE TABLE sso_operations (
    request_id        TEXT   PRIMARY KEY,
    kind              TEXT   NOT NULL,
    status            TEXT   NOT NULL,
    failure_reason    TEXT   NOT NULL,
    permission_set_id TEXT   NOT NULL,
    target_id         TEXT   NOT NULL,
    target_type       TEXT   NOT NULL,
    principal_type    TEXT   NOT NULL,
    principal_id      TEXT   NOT NULL,
    cursor_position   TEXT   NOT NULL,
    created_at        BIGINT NOT NULL,
    finished_at       BIGINT NOT NULL,
    lease_until       BIGINT NOT NULL
);
CREATE INDEX sso_operations_kind ON sso_operations (kind, request_id);
CREATE INDEX sso_operations_queue ON sso_operations (status, lease_until);

CREATE TABLE access_control_attributes (
    singleton  SMALLINT PRIMARY KEY CHECK (singleton = 1),
    attributes TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
