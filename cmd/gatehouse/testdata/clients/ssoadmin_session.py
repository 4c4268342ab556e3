"""The Identity Center tutorial's admin steps with boto3 against Gatehouse.

Run by TestSSOAdminWithBoto3 with AWS_ENDPOINT_URL_* and the admin
credentials in the environment; argv: instance ARN, identity store id,
management account id. Exits non-zero (with a traceback) on the first
unexpected result.
"""
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

inst, store, account = sys.argv[1], sys.argv[2], sys.argv[3]
cfg = Config(retries={"max_attempts": 1})
sso = boto3.client("sso-admin", config=cfg)
ids = boto3.client("identitystore", config=cfg)
iam = boto3.client("iam", config=cfg)
org = boto3.client("organizations", config=cfg)

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
    }],
}


def expect_error(code, fn, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: got {got}, want {code}: {e}"
        return e
    raise AssertionError(f"{fn.__name__} succeeded, want {code}")


def wait(fn, key, **kw):
    for _ in range(500):
        st = fn(**kw)[key]
        if st["Status"] != "IN_PROGRESS":
            return st
        time.sleep(0.01)
    raise AssertionError(f"{fn.__name__} still in progress")


assert sso.list_instances()["Instances"][0]["InstanceArn"] == inst
assert org.describe_organization()["Organization"]["MasterAccountId"] == account

ps = sso.create_permission_set(InstanceArn=inst, Name="DeveloperAccess", SessionDuration="PT2H")["PermissionSet"]
arn = ps["PermissionSetArn"]
sso.attach_managed_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=arn,
                                            ManagedPolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
sso.put_inline_policy_to_permission_set(InstanceArn=inst, PermissionSetArn=arn, InlinePolicy=json.dumps(POLICY))
assert json.loads(sso.get_inline_policy_for_permission_set(InstanceArn=inst, PermissionSetArn=arn)["InlinePolicy"]) == POLICY

group = ids.create_group(IdentityStoreId=store, DisplayName="Developers")["GroupId"]
user = ids.create_user(IdentityStoreId=store, UserName="dev", DisplayName="Dev",
                       Name={"GivenName": "Dev", "FamilyName": "Eloper"})["UserId"]
ids.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": user})

req = sso.create_account_assignment(InstanceArn=inst, PermissionSetArn=arn, TargetId=account, TargetType="AWS_ACCOUNT",
                                    PrincipalType="GROUP", PrincipalId=group)["AccountAssignmentCreationStatus"]
assert req["Status"] == "IN_PROGRESS", req
st = wait(sso.describe_account_assignment_creation_status, "AccountAssignmentCreationStatus",
          InstanceArn=inst, AccountAssignmentCreationRequestId=req["RequestId"])
assert st["Status"] == "SUCCEEDED", st

# The role is provisioned, and IAM shows it with its inline policy.
assert sso.list_permission_sets_provisioned_to_account(InstanceArn=inst, AccountId=account)["PermissionSets"] == [arn]
roles = iam.list_roles(PathPrefix="/aws-reserved/sso.amazonaws.com/")["Roles"]
assert len(roles) == 1 and roles[0]["RoleName"].startswith("AWSReservedSSO_DeveloperAccess_"), roles
# botocore decodes IAM's URL-encoded policy documents into dicts.
doc = iam.get_role_policy(RoleName=roles[0]["RoleName"], PolicyName="AwsSSOInlinePolicy")["PolicyDocument"]
assert doc == POLICY, doc
assert iam.get_role(RoleName=roles[0]["RoleName"])["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Action"][0] == "sts:AssumeRoleWithSAML"

# The user sees the group's assignment.
mine = sso.list_account_assignments_for_principal(InstanceArn=inst, PrincipalType="USER", PrincipalId=user)["AccountAssignments"]
assert [(a["PrincipalType"], a["PrincipalId"]) for a in mine] == [("GROUP", group)], mine

# Edit, out of date, re-provision with the paginator-friendly listing.
sso.update_permission_set(InstanceArn=inst, PermissionSetArn=arn, SessionDuration="PT4H")
stale = sso.list_accounts_for_provisioned_permission_set(InstanceArn=inst, PermissionSetArn=arn,
                                                        ProvisioningStatus="LATEST_PERMISSION_SET_NOT_PROVISIONED")["AccountIds"]
assert stale == [account], stale
req = sso.provision_permission_set(InstanceArn=inst, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS")
st = wait(sso.describe_permission_set_provisioning_status, "PermissionSetProvisioningStatus",
          InstanceArn=inst, ProvisionPermissionSetRequestId=req["PermissionSetProvisioningStatus"]["RequestId"])
assert st["Status"] == "SUCCEEDED", st
pages = sso.get_paginator("list_permission_sets").paginate(InstanceArn=inst, PaginationConfig={"PageSize": 1})
assert [a for p in pages for a in p["PermissionSets"]] == [arn]

# Errors.
expect_error("ConflictException", sso.create_permission_set, InstanceArn=inst, Name="DeveloperAccess")
expect_error("ConflictException", sso.delete_permission_set, InstanceArn=inst, PermissionSetArn=arn)
expect_error("ValidationException", sso.create_permission_set, InstanceArn=inst, Name="X", SessionDuration="PT10M")
expect_error("ValidationException", sso.create_permission_set, InstanceArn=inst, Name="X", SessionDuration="PT13H")
e = expect_error("ValidationException", sso.put_inline_policy_to_permission_set, InstanceArn=inst, PermissionSetArn=arn,
                 InlinePolicy=json.dumps(dict(POLICY, Version="2025-01-01")))
assert "2012-10-17" in str(e), e
expect_error("ResourceNotFoundException", sso.describe_permission_set, InstanceArn=inst,
             PermissionSetArn=arn[:-16] + "0000000000000000")

# Delete everything.
req = sso.delete_account_assignment(InstanceArn=inst, PermissionSetArn=arn, TargetId=account, TargetType="AWS_ACCOUNT",
                                    PrincipalType="GROUP", PrincipalId=group)["AccountAssignmentDeletionStatus"]
st = wait(sso.describe_account_assignment_deletion_status, "AccountAssignmentDeletionStatus",
          InstanceArn=inst, AccountAssignmentDeletionRequestId=req["RequestId"])
assert st["Status"] == "SUCCEEDED", st
sso.delete_permission_set(InstanceArn=inst, PermissionSetArn=arn)
ids.delete_user(IdentityStoreId=store, UserId=user)
ids.delete_group(IdentityStoreId=store, GroupId=group)
assert iam.list_roles()["Roles"] == []

print("boto3 sso-admin session: ok")
