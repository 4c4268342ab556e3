// The Identity Center tutorial's admin steps with the AWS SDK for
// JavaScript v3 against Gatehouse. Run by TestSSOAdminWithJSSDK with the
// endpoint and the admin credentials in the environment; argv: instance
// ARN, identity store id, management account id. Exits non-zero on the
// first unexpected result.
import {
  SSOAdminClient, ListInstancesCommand, CreatePermissionSetCommand, AttachManagedPolicyToPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand, CreateAccountAssignmentCommand, DescribeAccountAssignmentCreationStatusCommand,
  ListPermissionSetsProvisionedToAccountCommand, UpdatePermissionSetCommand, ListAccountsForProvisionedPermissionSetCommand,
  ProvisionPermissionSetCommand, DescribePermissionSetProvisioningStatusCommand, DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentDeletionStatusCommand, DeletePermissionSetCommand, paginateListPermissionSets,
} from "@aws-sdk/client-sso-admin";
import { IdentitystoreClient, CreateGroupCommand, DeleteGroupCommand } from "@aws-sdk/client-identitystore";

const [inst, store, account] = process.argv.slice(2);
const config = { endpoint: process.env.GATEHOUSE_URL, region: "us-east-1", maxAttempts: 1 };
const sso = new SSOAdminClient(config);
const ids = new IdentitystoreClient(config);

function assert(cond, what) {
  if (!cond) throw new Error("assertion failed: " + what);
}

async function expectError(name, promise) {
  try {
    await promise;
  } catch (e) {
    assert(e.name === name, `got ${e.name} (${e.message}), want ${name}`);
    return e;
  }
  throw new Error(`succeeded, want ${name}`);
}

async function wait(fn, key) {
  for (let i = 0; i < 500; i++) {
    const st = (await fn())[key];
    if (st.Status !== "IN_PROGRESS") return st;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(key + " still in progress");
}

const policy = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "true" } } }],
});

const { Instances } = await sso.send(new ListInstancesCommand({}));
assert(Instances.length === 1 && Instances[0].InstanceArn === inst, "ListInstances");
assert(Instances[0].CreatedDate instanceof Date, "CreatedDate is a Date");

const { PermissionSet } = await sso.send(new CreatePermissionSetCommand({ InstanceArn: inst, Name: "DeveloperAccess", SessionDuration: "PT2H" }));
const arn = PermissionSet.PermissionSetArn;
await sso.send(new AttachManagedPolicyToPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: arn, ManagedPolicyArn: "arn:aws:iam::aws:policy/AmazonS3FullAccess" }));
await sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: arn, InlinePolicy: policy }));

const { GroupId } = await ids.send(new CreateGroupCommand({ IdentityStoreId: store, DisplayName: "Developers" }));
const assignment = { InstanceArn: inst, PermissionSetArn: arn, TargetId: account, TargetType: "AWS_ACCOUNT", PrincipalType: "GROUP", PrincipalId: GroupId };
const created = await sso.send(new CreateAccountAssignmentCommand(assignment));
assert(created.AccountAssignmentCreationStatus.Status === "IN_PROGRESS", "IN_PROGRESS first");
let st = await wait(() => sso.send(new DescribeAccountAssignmentCreationStatusCommand({
  InstanceArn: inst, AccountAssignmentCreationRequestId: created.AccountAssignmentCreationStatus.RequestId })), "AccountAssignmentCreationStatus");
assert(st.Status === "SUCCEEDED", "assignment " + JSON.stringify(st));

const prov = await sso.send(new ListPermissionSetsProvisionedToAccountCommand({ InstanceArn: inst, AccountId: account }));
assert(prov.PermissionSets.length === 1 && prov.PermissionSets[0] === arn, "provisioned");

await sso.send(new UpdatePermissionSetCommand({ InstanceArn: inst, PermissionSetArn: arn, SessionDuration: "PT4H" }));
const stale = await sso.send(new ListAccountsForProvisionedPermissionSetCommand({
  InstanceArn: inst, PermissionSetArn: arn, ProvisioningStatus: "LATEST_PERMISSION_SET_NOT_PROVISIONED" }));
assert(stale.AccountIds.length === 1, "out of date after the edit");
const pp = await sso.send(new ProvisionPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: arn, TargetType: "ALL_PROVISIONED_ACCOUNTS" }));
st = await wait(() => sso.send(new DescribePermissionSetProvisioningStatusCommand({
  InstanceArn: inst, ProvisionPermissionSetRequestId: pp.PermissionSetProvisioningStatus.RequestId })), "PermissionSetProvisioningStatus");
assert(st.Status === "SUCCEEDED", "provisioning " + JSON.stringify(st));

const all = [];
for await (const page of paginateListPermissionSets({ client: sso, pageSize: 1 }, { InstanceArn: inst })) all.push(...page.PermissionSets);
assert(all.length === 1, "paginator");

await expectError("ConflictException", sso.send(new CreatePermissionSetCommand({ InstanceArn: inst, Name: "DeveloperAccess" })));
await expectError("ValidationException", sso.send(new CreatePermissionSetCommand({ InstanceArn: inst, Name: "X", SessionDuration: "PT13H" })));
const e = await expectError("ValidationException", sso.send(new PutInlinePolicyToPermissionSetCommand({
  InstanceArn: inst, PermissionSetArn: arn, InlinePolicy: policy.replace("2012-10-17", "2025-01-01") })));
assert(e.message.includes("2012-10-17"), "version message: " + e.message);
await expectError("ConflictException", sso.send(new DeletePermissionSetCommand({ InstanceArn: inst, PermissionSetArn: arn })));

const del = await sso.send(new DeleteAccountAssignmentCommand(assignment));
st = await wait(() => sso.send(new DescribeAccountAssignmentDeletionStatusCommand({
  InstanceArn: inst, AccountAssignmentDeletionRequestId: del.AccountAssignmentDeletionStatus.RequestId })), "AccountAssignmentDeletionStatus");
assert(st.Status === "SUCCEEDED", "deletion");
await sso.send(new DeletePermissionSetCommand({ InstanceArn: inst, PermissionSetArn: arn }));
await ids.send(new DeleteGroupCommand({ IdentityStoreId: store, GroupId }));
console.log("js sso-admin session: ok");
