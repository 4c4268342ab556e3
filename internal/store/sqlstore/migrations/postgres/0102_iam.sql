-- Customer-managed IAM policies of each account, with their versions and
-- tags (issue 3). Times are microseconds since the Unix epoch, UTC.
CREATE TABLE iam_policies (
    id              TEXT    PRIMARY KEY,
    account_id      TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    name_key        TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    default_version TEXT    NOT NULL,
    last_version    INTEGER NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE UNIQUE INDEX iam_policies_name ON iam_policies (account_id, name_key);

CREATE TABLE iam_policy_versions (
    policy_id  TEXT    NOT NULL,
    version_no INTEGER NOT NULL,
    version_id TEXT    NOT NULL,
    document   TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (policy_id, version_no)
);

CREATE TABLE iam_policy_tags (
    policy_id TEXT NOT NULL,
    tag_key   TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (policy_id, tag_key)
);
