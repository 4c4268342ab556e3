-- IAM users of an account: delegated administrators of the management
-- account whose access keys are authorised by the policies they carry
-- (issue 4). Inline policies, attachments and tags are keyed by the unique
-- id of the identity that owns them (AIDA… for users), so that other IAM
-- identities can share the tables. Times are microseconds since the Unix
-- epoch, UTC.
CREATE TABLE iam_users (
    id           TEXT   PRIMARY KEY,
    account_id   TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    name_key     TEXT   NOT NULL,
    path         TEXT   NOT NULL,
    boundary_arn TEXT   NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX iam_users_name ON iam_users (account_id, name_key);

CREATE TABLE iam_inline_policies (
    owner_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name     TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (owner_id, name_key)
);

CREATE TABLE iam_attached_policies (
    owner_id   TEXT NOT NULL,
    account_id TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (owner_id, policy_arn)
);
CREATE INDEX iam_attached_policies_arn ON iam_attached_policies (account_id, policy_arn);

CREATE TABLE iam_entity_tags (
    owner_id  TEXT NOT NULL,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (owner_id, tag_key)
);

-- The unique id of the user a key belongs to ('' for the bootstrap key),
-- and the keys of a user listed by its ARN.
ALTER TABLE access_keys ADD COLUMN principal_id TEXT NOT NULL DEFAULT '';
CREATE INDEX access_keys_principal ON access_keys (principal_arn);
