-- OIDC clients, device and authorization codes, access and refresh tokens,
-- temporary credentials and their revocations (issue 6). Times are
-- microseconds since the Unix epoch, UTC; 0 means "not set". Secrets are
-- kept only as SHA-256 hashes (client secrets, device and authorization
-- codes, tokens, session tokens) or MACs (user codes); the secret access
-- keys of temporary credentials are sealed by the keyring.
CREATE TABLE oauth_clients (
    id            TEXT   PRIMARY KEY,
    secret_hash   TEXT   NOT NULL,
    name          TEXT   NOT NULL,
    client_type   TEXT   NOT NULL,
    scopes        TEXT   NOT NULL,
    grant_types   TEXT   NOT NULL,
    redirect_uris TEXT   NOT NULL,
    issuer_url    TEXT   NOT NULL,
    source_ip     TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX oauth_clients_expiry ON oauth_clients (expires_at);

CREATE TABLE oauth_device_codes (
    code_hash     TEXT    PRIMARY KEY,
    user_code_mac TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    start_url     TEXT    NOT NULL,
    scopes        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    session_id    TEXT    NOT NULL,
    source_ip     TEXT    NOT NULL,
    user_agent    TEXT    NOT NULL,
    interval_secs INTEGER NOT NULL,
    last_poll_at  BIGINT  NOT NULL,
    fast_polls    INTEGER NOT NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    decided_at    BIGINT  NOT NULL
);
CREATE UNIQUE INDEX oauth_device_codes_user_code ON oauth_device_codes (user_code_mac);
CREATE INDEX oauth_device_codes_expiry ON oauth_device_codes (expires_at);

CREATE TABLE oauth_auth_codes (
    code_hash      TEXT   PRIMARY KEY,
    client_id      TEXT   NOT NULL,
    redirect_uri   TEXT   NOT NULL,
    code_challenge TEXT   NOT NULL,
    scopes         TEXT   NOT NULL,
    user_id        TEXT   NOT NULL,
    session_id     TEXT   NOT NULL,
    family_id      TEXT   NOT NULL,
    redeemed_at    BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX oauth_auth_codes_expiry ON oauth_auth_codes (expires_at);

CREATE TABLE oauth_tokens (
    token_hash TEXT   PRIMARY KEY,
    kind       TEXT   NOT NULL,
    family_id  TEXT   NOT NULL,
    client_id  TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    session_id TEXT   NOT NULL,
    scopes     TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL
);
CREATE INDEX oauth_tokens_family ON oauth_tokens (family_id);
CREATE INDEX oauth_tokens_user ON oauth_tokens (user_id);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

CREATE TABLE temp_credentials (
    access_key_id     TEXT    PRIMARY KEY,
    secret_sealed     BYTEA   NOT NULL,
    token_hash        TEXT    NOT NULL,
    user_id           TEXT    NOT NULL,
    user_name         TEXT    NOT NULL,
    session_id        TEXT    NOT NULL,
    account_id        TEXT    NOT NULL,
    permission_set_id TEXT    NOT NULL,
    role_name         TEXT    NOT NULL,
    role_id           TEXT    NOT NULL,
    mfa_present       INTEGER NOT NULL,
    auth_time         BIGINT  NOT NULL,
    tags              TEXT    NOT NULL,
    source_ip         TEXT    NOT NULL,
    issued_at         BIGINT  NOT NULL,
    expires_at        BIGINT  NOT NULL,
    revoked_at        BIGINT  NOT NULL
);
CREATE INDEX temp_credentials_user ON temp_credentials (user_id);
CREATE INDEX temp_credentials_session ON temp_credentials (session_id);
CREATE INDEX temp_credentials_expiry ON temp_credentials (expires_at);

CREATE TABLE credential_revocations (
    user_id    TEXT   PRIMARY KEY,
    not_before BIGINT NOT NULL
);

CREATE TABLE oauth_rate_limits (
    limit_key    TEXT    PRIMARY KEY,
    window_start BIGINT  NOT NULL,
    window_end   BIGINT  NOT NULL,
    hits         INTEGER NOT NULL
);
CREATE INDEX oauth_rate_limits_end ON oauth_rate_limits (window_end);
