#!/usr/bin/env python3
"""What boto3, the real AWS SDK for Python, sees of changes made in the dashboard's pages.

Usage: dashboard.py ENDPOINT_URL POOL_ID CLIENT_ID EMAIL_PREFIX
Keys:  PORTCULLIS_TEST_ACCESS_KEY / PORTCULLIS_TEST_SECRET_KEY (the management key)

The browser test (tests/browser/admin.rs) made a pool, an app client and users by clicking
through the dashboard; this script reads them back through boto3 (DescribeUserPool,
DescribeUserPoolClient, ListUsers with and without an e-mail prefix filter, AdminGetUser,
ListUserPools) and prints what boto3 parsed as one JSON line, which the test asserts.
"""

import json
import os
import sys

import boto3
from botocore.config import Config

ENDPOINT, POOL_ID, CLIENT_ID, PREFIX = sys.argv[1:5]

idp = boto3.session.Session().client(
    "cognito-idp",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id=os.environ["PORTCULLIS_TEST_ACCESS_KEY"],
    aws_secret_access_key=os.environ["PORTCULLIS_TEST_SECRET_KEY"],
    # No retries: a failure must surface, not be retried away.
    config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
)


def attributes(pairs):
    return {a["Name"]: a["Value"] for a in pairs}


pool = idp.describe_user_pool(UserPoolId=POOL_ID)["UserPool"]
client = idp.describe_user_pool_client(UserPoolId=POOL_ID, ClientId=CLIENT_ID)["UserPoolClient"]
listed = idp.list_users(UserPoolId=POOL_ID)["Users"]
found = idp.list_users(UserPoolId=POOL_ID, Filter=f'email ^= "{PREFIX}"')["Users"]
users = {}
for u in listed:
    got = idp.admin_get_user(UserPoolId=POOL_ID, Username=u["Username"])
    users[got["Username"]] = {
        "Enabled": got["Enabled"],
        "UserStatus": got["UserStatus"],
        "email": attributes(got["UserAttributes"]).get("email"),
    }
pools = idp.list_user_pools(MaxResults=60)["UserPools"]

print(
    json.dumps(
        {
            "pool": {
                "Id": pool["Id"],
                "Name": pool["Name"],
                "MfaConfiguration": pool.get("MfaConfiguration"),
                "PasswordPolicy": pool["Policies"]["PasswordPolicy"],
            },
            "client": {
                k: client.get(k)
                for k in (
                    "ClientId",
                    "ClientName",
                    "ClientSecret",
                    "CallbackURLs",
                    "AllowedOAuthFlows",
                    "AllowedOAuthScopes",
                    "AllowedOAuthFlowsUserPoolClient",
                )
            },
            "users": users,
            "found": sorted(u["Username"] for u in found),
            "pools": sorted(p["Name"] for p in pools),
        }
    )
)
