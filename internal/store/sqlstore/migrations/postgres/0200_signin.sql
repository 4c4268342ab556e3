-- Sign-in: passwords, failure counters, sign-in flows, portal sessions,
-- invitation and reset links, MFA devices, trusted devices, settings and the
-- mail outbox. Times are microseconds since the Unix epoch, UTC. Every token
-- is stored only as its SHA-256 hash; secrets (TOTP seeds, mail bodies,
-- flow state) are sealed by the keyring.
CREATE TABLE passwords (
    user_id     TEXT    PRIMARY KEY,
    hash        TEXT    NOT NULL,
    must_change INTEGER NOT NULL,
    history     TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE signin_counters (
    counter_key  TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start BIGINT  NOT NULL,
    locked_until BIGINT  NOT NULL
);

CREATE TABLE signin_flows (
    token_hash  TEXT   PRIMARY KEY,
    workflow_id TEXT   NOT NULL,
    user_id     TEXT   NOT NULL,
    step        TEXT   NOT NULL,
    state       BYTEA   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX signin_flows_expiry ON signin_flows (expires_at);
CREATE INDEX signin_flows_user ON signin_flows (user_id);

CREATE TABLE portal_sessions (
    id           TEXT   PRIMARY KEY,
    token_hash   TEXT   NOT NULL,
    user_id      TEXT   NOT NULL,
    mfa_method   TEXT   NOT NULL,
    source_ip    TEXT   NOT NULL,
    user_agent   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    auth_time    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX portal_sessions_token_hash ON portal_sessions (token_hash);
CREATE INDEX portal_sessions_user ON portal_sessions (user_id, expires_at);
CREATE INDEX portal_sessions_expiry ON portal_sessions (expires_at);

CREATE TABLE user_tokens (
    token_hash TEXT   PRIMARY KEY,
    user_id    TEXT   NOT NULL,
    purpose    TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, purpose);

CREATE TABLE mfa_devices (
    id            TEXT    PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    secret_sealed BYTEA,
    credential_id TEXT,
    credential    TEXT    NOT NULL,
    sign_count    BIGINT  NOT NULL,
    last_step     BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT  NOT NULL
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id, created_at);
CREATE UNIQUE INDEX mfa_devices_credential_id ON mfa_devices (credential_id) WHERE credential_id IS NOT NULL;

CREATE TABLE trusted_devices (
    token_hash TEXT   PRIMARY KEY,
    user_id    TEXT   NOT NULL,
    user_agent TEXT   NOT NULL,
    network    TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX trusted_devices_user ON trusted_devices (user_id);

CREATE TABLE signin_settings (
    singleton  SMALLINT PRIMARY KEY CHECK (singleton = 1),
    document   TEXT    NOT NULL,
    updated_at BIGINT  NOT NULL
);

CREATE TABLE mail_outbox (
    id              TEXT    PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    sealed_body     BYTEA,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    claimed_until   BIGINT  NOT NULL,
    sent_at         BIGINT  NOT NULL
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
