#!/usr/bin/env python3
"""boto3's SSO credential provider against Gatehouse.

Usage: sso_session.py PROFILE

The profile uses an sso-session whose cached access token has expired;
botocore's SSOTokenProvider must refresh it with the refresh token
(sso-oidc CreateToken, grant refresh_token), then get role credentials
(sso GetRoleCredentials) and sign an STS call with them. The endpoints come
from AWS_ENDPOINT_URL_SSO_OIDC, _SSO and _STS.
"""
import sys

import boto3


def main():
    session = boto3.Session(profile_name=sys.argv[1])
    creds = session.get_credentials().get_frozen_credentials()
    assert creds.access_key.startswith("ASIA"), creds.access_key
    ident = session.client("sts").get_caller_identity()
    print(ident["Account"], ident["Arn"], ident["UserId"])


if __name__ == "__main__":
    main()
