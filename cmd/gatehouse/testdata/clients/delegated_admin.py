"""Delegated administration (issue 4) with boto3 against Gatehouse.

Run by TestDelegatedAdminWithBoto3 with AWS_ENDPOINT_URL_* and the
bootstrap administrator's credentials in the environment; argv: instance
ARN, identity store id, management account id, Gatehouse URL. Exits
non-zero (with a traceback) on the first unexpected result.
"""
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

inst, store, account, url = sys.argv[1:5]
cfg = Config(retries={"max_attempts": 1})
boot = boto3.Session()
iam = boot.client("iam", config=cfg)
sso = boot.client("sso-admin", config=cfg)

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "TaggedPermissionSets", "Effect": "Allow", "Action": "sso:*",
         "Resource": "arn:aws:sso:::permissionSet/*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "platform"}}},
        {"Sid": "Instance", "Effect": "Allow", "Action": "sso:*", "Resource": "arn:aws:sso:::instance/*"},
        {"Sid": "NoUserCreation", "Effect": "Deny", "Action": "identitystore:CreateUser", "Resource": "*"},
    ],
}


def expect_error(code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: got {got}, want {code}: {e}"
        return e
    raise AssertionError(f"{fn.__name__} succeeded, want {code}")


tagged = sso.create_permission_set(InstanceArn=inst, Name="PlatformAccess",
                                   Tags=[{"Key": "team", "Value": "platform"}])["PermissionSet"]["PermissionSetArn"]
untagged = sso.create_permission_set(InstanceArn=inst, Name="DataAccess")["PermissionSet"]["PermissionSetArn"]

user = iam.create_user(UserName="platform-admin", Path="/admins/")["User"]
assert user["Arn"] == f"arn:aws:iam::{account}:user/admins/platform-admin", user
assert user["UserId"].startswith("AIDA"), user
expect_error("EntityAlreadyExists", iam.create_user, UserName="Platform-Admin")
iam.put_user_policy(UserName="platform-admin", PolicyName="Platform", PolicyDocument=json.dumps(POLICY))
doc = iam.get_user_policy(UserName="platform-admin", PolicyName="Platform")["PolicyDocument"]
assert doc == POLICY, doc  # boto3 decodes the URL-encoded document
iam.tag_user(UserName="platform-admin", Tags=[{"Key": "team", "Value": "platform"}])
assert iam.list_user_tags(UserName="platform-admin")["Tags"] == [{"Key": "team", "Value": "platform"}]
users = iam.list_users(PathPrefix="/admins/")["Users"]
assert [u["UserName"] for u in users] == ["platform-admin"], users
key = iam.create_access_key(UserName="platform-admin")["AccessKey"]
keys = iam.list_access_keys(UserName="platform-admin")["AccessKeyMetadata"]
assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]] and keys[0]["Status"] == "Active", keys
second = iam.create_access_key(UserName="platform-admin")["AccessKey"]
expect_error("LimitExceeded", iam.create_access_key, UserName="platform-admin")
iam.delete_access_key(UserName="platform-admin", AccessKeyId=second["AccessKeyId"])

delegate = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                         region_name="us-east-1")
dsso = delegate.client("sso-admin", config=cfg)
dids = delegate.client("identitystore", config=cfg)
diam = delegate.client("iam", config=cfg)

assert delegate.client("sts", config=cfg).get_caller_identity()["Arn"] == user["Arn"]
dsso.describe_permission_set(InstanceArn=inst, PermissionSetArn=tagged)
dsso.attach_managed_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=tagged,
                                             ManagedPolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
e = expect_error("AccessDeniedException", dsso.describe_permission_set, InstanceArn=inst, PermissionSetArn=untagged)
msg = e.response["Error"]["Message"]
assert msg == (f"User: {user['Arn']} is not authorized to perform: sso:DescribePermissionSet on resource: {untagged} "
               "because no identity-based policy allows the sso:DescribePermissionSet action"), msg
e = expect_error("AccessDeniedException", dids.create_user, IdentityStoreId=store, UserName="mallory", DisplayName="M",
                 Name={"GivenName": "M", "FamilyName": "M"})
assert "with an explicit deny in an identity-based policy" in e.response["Error"]["Message"], e
expect_error("AccessDenied", diam.list_users)

# The simulator, with the bootstrap key (the delegate has no iam:Simulate*).
sim = iam.simulate_principal_policy(
    PolicySourceArn=user["Arn"], ActionNames=["sso:DeletePermissionSet", "identitystore:CreateUser"],
    ContextEntries=[{"ContextKeyName": "aws:ResourceTag/team", "ContextKeyValues": ["platform"], "ContextKeyType": "string"}],
)["EvaluationResults"]
assert [r["EvalDecision"] for r in sim] == ["implicitDeny", "explicitDeny"], sim  # no resource: "*" is not a permission set
deny = sim[1]["MatchedStatements"][0]
assert deny["SourcePolicyId"] == "Platform" and deny["SourcePolicyType"] == "user", deny
sim = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["sso:DeletePermissionSet"],
                                    ResourceArns=[tagged, untagged])["EvaluationResults"]
assert [r["EvalDecision"] for r in sim] == ["implicitDeny", "implicitDeny"], sim
assert sim[0]["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:ResourceTag/team"], sim
pages = iam.get_paginator("simulate_custom_policy").paginate(
    PolicyInputList=[json.dumps(POLICY)], ActionNames=["sso:ListInstances", "sso:DescribeInstance", "identitystore:CreateUser"],
    ResourceArns=[inst], PaginationConfig={"PageSize": 1})
decisions = [r["EvalDecision"] for p in pages for r in p["EvaluationResults"]]
assert decisions == ["allowed", "allowed", "explicitDeny"], decisions

# The bootstrap key keeps every right.
sso.describe_permission_set(InstanceArn=inst, PermissionSetArn=untagged)
expect_error("UnmodifiableEntity", iam.attach_user_policy, UserName="gatehouse-admin",
             PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

expect_error("DeleteConflict", iam.delete_user, UserName="platform-admin")
iam.delete_user_policy(UserName="platform-admin", PolicyName="Platform")
iam.delete_access_key(UserName="platform-admin", AccessKeyId=key["AccessKeyId"])
iam.delete_user(UserName="platform-admin")
expect_error("NoSuchEntity", iam.get_user, UserName="platform-admin")
print("boto3 delegated-admin session: ok")
