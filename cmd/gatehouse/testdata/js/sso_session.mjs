// The JavaScript SDK's SSO credential provider (fromSSO) against
// Gatehouse. The profile (argv[2]) uses an sso-session whose cached access
// token has expired: the provider must refresh it with the refresh token,
// get role credentials and sign an STS call with them. The endpoints come
// from AWS_ENDPOINT_URL_SSO_OIDC, _SSO and _STS.
import { fromSSO } from "@aws-sdk/credential-providers";
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";

const profile = process.argv[2];
const credentials = fromSSO({ profile });
const creds = await credentials();
if (!creds.accessKeyId.startsWith("ASIA")) {
  throw new Error(`unexpected key ${creds.accessKeyId}`);
}
const sts = new STSClient({ region: "us-east-1", credentials, maxAttempts: 1 });
const id = await sts.send(new GetCallerIdentityCommand({}));
console.log(id.Account, id.Arn, id.UserId);
