// Package awsmodel embeds trimmed copies of the AWS service models Gatehouse
// speaks (identitystore, sso-admin, organizations, sso-oidc, sso, sts, iam)
// and validates request input against them the way an AWS service does.
//
// The models come from botocore (Apache-2.0, see data/NOTICE) and are
// refreshed with scripts/refresh-models.sh. [Load] parses one service's
// model; the returned [*Service] is immutable apart from lazily compiled
// regular expressions and is safe for concurrent use, so a server builds
// each service once at start-up and passes it to its adapter.
//
// Validation reproduces AWS's server-side behaviour, including its exact
// error text, because real clients (aws CLI, boto3, the SDKs, Terraform)
// show that text to people and some tools match on it:
//
//   - Body decoding follows the Coral JSON deserializer: wrong JSON types
//     give a SerializationException such as "NUMBER_VALUE can not be
//     converted to a String"; JSON null is the same as an absent member;
//     unknown members are ignored.
//   - Constraint checks follow Coral's validator: "1 validation error
//     detected: Value 'abc' at 'identityStoreId' failed to satisfy
//     constraint: Member must satisfy regular expression pattern: …".
//     JSON services report these as ValidationException, Query services
//     (STS, IAM) as ValidationError.
//
// Which message forms were confirmed from captured AWS responses and which
// were inferred is recorded next to the code that produces them (see
// validate.go and decode.go), so a later capture can correct an inference
// in one place.
//
// Patterns in the models are Java regular expressions matched against the
// whole value; pattern.go translates them to RE2 and lists the few that
// need a hand-written equivalent.
package awsmodel
