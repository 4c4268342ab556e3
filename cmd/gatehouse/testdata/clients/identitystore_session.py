"""A realistic identity store admin session with boto3 against Gatehouse.

Run by TestIdentityStoreWithBoto3 with AWS_ENDPOINT_URL_IDENTITYSTORE and the
admin credentials in the environment; argv[1] is the identity store id.
Exits non-zero (with a traceback) on the first unexpected result.
"""
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

store = sys.argv[1]
c = boto3.client("identitystore", config=Config(retries={"max_attempts": 1}))


def expect_error(code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: got {got}, want {code}: {e}"
        return e
    raise AssertionError(f"{fn.__name__} succeeded, want {code}")


def user(name):
    return dict(
        IdentityStoreId=store,
        UserName=name,
        DisplayName=name.title(),
        Name={"GivenName": name.title(), "FamilyName": "Tester"},
        Emails=[{"Value": f"{name}@example.com", "Type": "work", "Primary": True}],
    )


group = c.create_group(IdentityStoreId=store, DisplayName="Platform", Description="Platform team")["GroupId"]
ids = [c.create_user(**user(n))["UserId"] for n in ("ana", "ben", "cy")]
for uid in ids:
    c.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": uid})

# Look-ups by unique attribute.
assert c.get_user_id(IdentityStoreId=store, AlternateIdentifier={
    "UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "ben"}})["UserId"] == ids[1]
assert c.get_group_id(IdentityStoreId=store, AlternateIdentifier={
    "UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": "Platform"}})["GroupId"] == group
mid = c.get_group_membership_id(IdentityStoreId=store, GroupId=group, MemberId={"UserId": ids[0]})["MembershipId"]

# Paging one result at a time, by hand and with the paginator.
seen, token = [], None
while True:
    kw = dict(IdentityStoreId=store, MaxResults=1)
    if token:
        kw["NextToken"] = token
    page = c.list_users(**kw)
    assert len(page["Users"]) <= 1
    seen += [u["UserId"] for u in page["Users"]]
    token = page.get("NextToken")
    if not token:
        break
assert sorted(seen) == sorted(ids), seen
members = [m for p in c.get_paginator("list_group_memberships").paginate(
    IdentityStoreId=store, GroupId=group, PaginationConfig={"PageSize": 1}) for m in p["GroupMemberships"]]
assert len(members) == 3, members

res = c.is_member_in_groups(IdentityStoreId=store, MemberId={"UserId": ids[2]}, GroupIds=[group])["Results"]
assert res[0]["MembershipExists"] is True

c.update_user(IdentityStoreId=store, UserId=ids[0], Operations=[
    {"AttributePath": "title", "AttributeValue": "Lead"},
    {"AttributePath": "name.givenName", "AttributeValue": "Anabel"}])
u = c.describe_user(IdentityStoreId=store, UserId=ids[0])
assert u["Title"] == "Lead" and u["Name"]["GivenName"] == "Anabel", u

# Errors a real admin runs into.
e = expect_error("ConflictException", c.create_user, **user("ana"))
assert e.response["Reason"] == "UNIQUENESS_CONSTRAINT_VIOLATION", e.response
expect_error("ConflictException", c.create_group, IdentityStoreId=store, DisplayName="platform")
e = expect_error("ResourceNotFoundException", c.describe_user, IdentityStoreId=store,
                 UserId=store[2:] + "-00000000-0000-4000-8000-000000000000")
assert e.response["ResourceType"] == "USER", e.response
e = expect_error("ValidationException", c.describe_user, IdentityStoreId=store, UserId="not-an-id")
assert "at 'userId' failed to satisfy constraint" in e.response["Error"]["Message"]
expect_error("ValidationException", c.list_users, IdentityStoreId=store, NextToken="bogus")

# Deletes.
c.delete_group_membership(IdentityStoreId=store, MembershipId=mid)
expect_error("ResourceNotFoundException", c.describe_group_membership, IdentityStoreId=store, MembershipId=mid)
for uid in ids:
    c.delete_user(IdentityStoreId=store, UserId=uid)
c.delete_group(IdentityStoreId=store, GroupId=group)
assert c.list_users(IdentityStoreId=store)["Users"] == []
assert c.list_groups(IdentityStoreId=store)["Groups"] == []
print("boto3 identitystore session: ok")
