-- The access portal lists a user's accounts in name order; walking this
-- index keeps the first page fast for users who reach thousands of them.
CREATE INDEX org_accounts_name ON org_accounts (name, id);
