#!/usr/bin/env python3
"""Drive Portcullis's identity pools API with boto3's "cognito-identity" client.

Usage: identity.py ENDPOINT_URL [--credentials]
Keys:  PORTCULLIS_TEST_ACCESS_KEY / PORTCULLIS_TEST_SECRET_KEY (the management key)

A user pool (through boto3's "cognito-idp" client) provides real ID tokens. Every step asserts
what boto3 parsed; any mismatch raises and the script exits non-zero. With --credentials it also
creates IAM roles (boto3 "iam"), gets credentials for guests and users, and checks them with STS
GetCallerIdentity (boto3 "sts"). On success the last line of stdout is a JSON summary: every
operation boto3 called with the HTTP status it got, how it was signed, and every error code
boto3 raised, so the caller can check coverage.
"""

import json
import os
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError
from checks import check, eq, errors, raises

ENDPOINT = sys.argv[1] if len(sys.argv) > 1 else os.environ["PORTCULLIS_ENDPOINT"]
WITH_CREDENTIALS = "--credentials" in sys.argv[2:]
ACCESS_KEY = os.environ["PORTCULLIS_TEST_ACCESS_KEY"]
SECRET_KEY = os.environ["PORTCULLIS_TEST_SECRET_KEY"]
PASSWORD = "Correct-Horse-99"
REGION = "us-east-1"

calls = []  # (operation, HTTP status)
signed = {}  # operation -> set of "sigv4" / "unsigned" as sent on the wire


def client(service, key=ACCESS_KEY, secret=SECRET_KEY, token=None):
    c = boto3.session.Session().client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        # No retries: a 500 must surface, not be retried away.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )

    def record(http_response, parsed, model, **_):
        calls.append((model.name, http_response.status_code))

    def sent(request, **_):
        v = request.headers.get("Authorization", b"")
        v = v.decode() if isinstance(v, bytes) else v
        t = request.headers.get("X-Amz-Target", b"")
        t = t.decode() if isinstance(t, bytes) else t
        if t.startswith("AWSCognitoIdentityService."):
            op = t.removeprefix("AWSCognitoIdentityService.")
            signed.setdefault(op, set()).add("sigv4" if v.startswith("AWS4-HMAC-SHA256 ") else "unsigned")

    c.meta.events.register(f"after-call.{c.meta.service_model.endpoint_prefix}", record)
    c.meta.events.register(f"before-send.{c.meta.service_model.endpoint_prefix}", sent)
    return c





def user_pool(idp, name, users):
    """A user pool with a client for USER_PASSWORD_AUTH and the given users: (pool id, client id, {user: ID token})."""
    pool = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    cli = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    tokens = {}
    for u in users:
        idp.admin_create_user(UserPoolId=pool, Username=u, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": f"{u}@example.com"}])
        idp.admin_set_user_password(UserPoolId=pool, Username=u, Password=PASSWORD, Permanent=True)
        r = idp.initiate_auth(ClientId=cli, AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": u, "PASSWORD": PASSWORD})
        tokens[u] = r["AuthenticationResult"]["IdToken"]
    return pool, cli, tokens


def provider_of(pool_id):
    """The Logins key SDKs build for a user pool (region = the pool id's prefix)."""
    return f"cognito-idp.{pool_id.split('_')[0]}.amazonaws.com/{pool_id}"


def main():
    idp = client("cognito-idp")
    ci = client("cognito-identity")
    ex = ci.exceptions
    up, cli, tokens = user_pool(idp, "boto-identity", ["alice", "bob"])
    up2, cli2, tokens2 = user_pool(idp, "boto-identity-2", ["alice"])
    prov, prov2 = provider_of(up), provider_of(up2)

    # --- Pools ------------------------------------------------------------------------------
    created = ci.create_identity_pool(
        IdentityPoolName="boto pool",
        AllowUnauthenticatedIdentities=True,
        AllowClassicFlow=True,
        DeveloperProviderName="login.boto",
        CognitoIdentityProviders=[
            {"ProviderName": prov, "ClientId": cli, "ServerSideTokenCheck": True},
            {"ProviderName": prov2, "ClientId": cli2},
        ],
        IdentityPoolTags={"team": "blue"},
    )
    pool = created["IdentityPoolId"]
    check(pool.count(":") == 1, f"identity pool id {pool}")
    eq(created["DeveloperProviderName"], "login.boto", "developer provider")
    d = ci.describe_identity_pool(IdentityPoolId=pool)
    eq(d["IdentityPoolName"], "boto pool", "described name")
    eq(d["CognitoIdentityProviders"][0]["ServerSideTokenCheck"], True, "server-side check")
    closed = ci.create_identity_pool(IdentityPoolName="closed", AllowUnauthenticatedIdentities=False)["IdentityPoolId"]
    pages = list(ci.get_paginator("list_identity_pools").paginate(MaxResults=1))
    listed = {p["IdentityPoolId"] for page in pages for p in page["IdentityPools"]}
    check({pool, closed} <= listed and len(pages) >= 2, f"paginated list {listed}")
    u = ci.update_identity_pool(
        IdentityPoolId=pool, IdentityPoolName="boto pool 2", AllowUnauthenticatedIdentities=True,
        AllowClassicFlow=True, DeveloperProviderName="login.boto",
        CognitoIdentityProviders=d["CognitoIdentityProviders"],
    )
    eq(u["IdentityPoolName"], "boto pool 2", "updated name")
    eq(u["IdentityPoolTags"], {"team": "blue"}, "tags kept")
    raises(ex.InvalidParameterException, "InvalidParameterException", ci.update_identity_pool,
           IdentityPoolId=pool, IdentityPoolName="x", AllowUnauthenticatedIdentities=True,
           DeveloperProviderName="changed.boto")
    raises(ex.InvalidParameterException, "InvalidParameterException", ci.create_identity_pool,
           IdentityPoolName="bad", AllowUnauthenticatedIdentities=False,
           CognitoIdentityProviders=[{"ProviderName": prov, "ClientId": "nosuchclient"}])
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", ci.describe_identity_pool,
           IdentityPoolId="us-east-1:00000000-0000-0000-0000-000000000000")

    # --- Roles and tags ---------------------------------------------------------------------
    key = f"{prov}:{cli}"
    roles = {"authenticated": "arn:aws:iam::000000000000:role/boto-auth",
             "unauthenticated": "arn:aws:iam::000000000000:role/boto-guest"}
    mappings = {key: {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole", "RulesConfiguration": {"Rules": [
        {"Claim": "email", "MatchType": "StartsWith", "Value": "bob", "RoleARN": "arn:aws:iam::000000000000:role/boto-bob"}]}}}
    ci.set_identity_pool_roles(IdentityPoolId=pool, Roles=roles, RoleMappings=mappings)
    r = ci.get_identity_pool_roles(IdentityPoolId=pool)
    eq((r["IdentityPoolId"], r["Roles"], r["RoleMappings"]), (pool, roles, mappings), "roles")
    raises(ex.InvalidParameterException, "InvalidParameterException", ci.set_identity_pool_roles,
           IdentityPoolId=pool, Roles={"authenticated": "arn:aws:iam::000000000000:role/a"},
           RoleMappings={"graph.facebook.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}})
    arn = f"arn:aws:cognito-identity:local:000000000000:identitypool/{pool}"
    ci.tag_resource(ResourceArn=arn, Tags={"env": "test"})
    ci.untag_resource(ResourceArn=arn, TagKeys=["team"])
    eq(ci.list_tags_for_resource(ResourceArn=arn)["Tags"], {"env": "test"}, "tags")

    # --- Guests and logins (unsigned calls) -------------------------------------------------
    guest = ci.get_id(IdentityPoolId=pool)["IdentityId"]
    t = ci.get_open_id_token(IdentityId=guest)
    eq(t["IdentityId"], guest, "guest token identity")
    check(t["Token"].count(".") == 2, "a JWT")
    raises(ex.NotAuthorizedException, "NotAuthorizedException", ci.get_id, IdentityPoolId=closed)
    alice = ci.get_id(IdentityPoolId=pool, Logins={prov: tokens["alice"]})["IdentityId"]
    eq(ci.get_id(IdentityPoolId=pool, Logins={prov: tokens["alice"]})["IdentityId"], alice, "GetId is idempotent")
    raises(ex.NotAuthorizedException, "NotAuthorizedException", ci.get_id,
           IdentityPoolId=pool, Logins={prov: tokens["alice"][:-12] + "AAAAAAAAAAAA"})
    t = ci.get_open_id_token(IdentityId=alice, Logins={prov: tokens["alice"]})
    eq(t["IdentityId"], alice, "user token identity")
    raises(ex.ResourceConflictException, "ResourceConflictException", ci.get_open_id_token,
           IdentityId=alice, Logins={prov: tokens["bob"]})
    # Another user pool's login: a new identity, then merged into alice's by a GetId with both.
    other = ci.get_id(IdentityPoolId=pool, Logins={prov2: tokens2["alice"]})["IdentityId"]
    check(other != alice, "two identities")
    merged = ci.get_id(IdentityPoolId=pool, Logins={prov: tokens["alice"], prov2: tokens2["alice"]})["IdentityId"]
    # The older survives; both were made within the same second here, so either may.
    check(merged in (alice, other), f"merged into one of the two: {merged}")
    if merged == other:
        alice, other = other, alice
    eq(sorted(ci.describe_identity(IdentityId=alice)["Logins"]), sorted([prov, prov2]), "merged logins")
    ci.unlink_identity(IdentityId=alice, Logins={prov: tokens["alice"]}, LoginsToRemove=[prov2])
    eq(ci.describe_identity(IdentityId=alice)["Logins"], [prov], "unlinked")
    raises(ex.NotAuthorizedException, "NotAuthorizedException", ci.unlink_identity,
           IdentityId=alice, Logins={prov2: tokens2["alice"]}, LoginsToRemove=[prov])

    # --- Developer-authenticated identities (signed) ----------------------------------------
    dev = ci.get_open_id_token_for_developer_identity(IdentityPoolId=pool, Logins={"login.boto": "dev-1"},
                                                      TokenDuration=1200)
    dev1 = dev["IdentityId"]
    dev2 = ci.get_open_id_token_for_developer_identity(IdentityPoolId=pool, Logins={"login.boto": "dev-2"})["IdentityId"]
    raises(ex.DeveloperUserAlreadyRegisteredException, "DeveloperUserAlreadyRegisteredException",
           ci.get_open_id_token_for_developer_identity, IdentityPoolId=pool, IdentityId=dev2,
           Logins={"login.boto": "dev-1"})
    look = ci.lookup_developer_identity(IdentityPoolId=pool, DeveloperUserIdentifier="dev-1", MaxResults=10)
    eq((look["IdentityId"], look["DeveloperUserIdentifierList"]), (dev1, ["dev-1"]), "lookup")
    raises(ex.ResourceConflictException, "ResourceConflictException", ci.lookup_developer_identity,
           IdentityPoolId=pool, IdentityId=dev2, DeveloperUserIdentifier="dev-1")
    m = ci.merge_developer_identities(SourceUserIdentifier="dev-2", DestinationUserIdentifier="dev-1",
                                      DeveloperProviderName="login.boto", IdentityPoolId=pool)
    eq(m["IdentityId"], dev1, "merged developer identity")
    look = ci.lookup_developer_identity(IdentityPoolId=pool, IdentityId=dev1)
    eq(sorted(look["DeveloperUserIdentifierList"]), ["dev-1", "dev-2"], "merged developer users")
    ci.unlink_developer_identity(IdentityId=dev1, IdentityPoolId=pool, DeveloperProviderName="login.boto",
                                 DeveloperUserIdentifier="dev-2")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", ci.lookup_developer_identity,
           IdentityPoolId=pool, DeveloperUserIdentifier="dev-2")
    t = ci.get_open_id_token(IdentityId=dev1, Logins={"cognito-identity.amazonaws.com": dev["Token"]})
    eq(t["IdentityId"], dev1, "developer token proves the identity")

    # --- Identities -------------------------------------------------------------------------
    all_ids, kwargs = [], {"IdentityPoolId": pool, "MaxResults": 2}
    while True:
        page = ci.list_identities(**kwargs)
        eq(page["IdentityPoolId"], pool, "listed pool")
        all_ids += [i["IdentityId"] for i in page["Identities"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    check({guest, alice, other, dev1, dev2} <= set(all_ids), f"listed identities {all_ids}")
    live = [i["IdentityId"] for i in ci.list_identities(IdentityPoolId=pool, MaxResults=60, HideDisabled=True)["Identities"]]
    check(other not in live and dev2 not in live and alice in live, f"merged identities hidden {live}")
    d = ci.describe_identity(IdentityId=guest)
    eq((d["IdentityId"], d.get("Logins", [])), (guest, []), "guest described")
    check(d["CreationDate"] is not None, "dates parse")

    # --- Credentials: role resolution before STS --------------------------------------------
    raises(ex.NotAuthorizedException, "NotAuthorizedException", ci.get_credentials_for_identity, IdentityId=alice)
    nopool_user = ci.create_identity_pool(IdentityPoolName="no roles", AllowUnauthenticatedIdentities=True)["IdentityPoolId"]
    nobody = ci.get_id(IdentityPoolId=nopool_user)["IdentityId"]
    raises(ex.InvalidIdentityPoolConfigurationException, "InvalidIdentityPoolConfigurationException",
           ci.get_credentials_for_identity, IdentityId=nobody)

    if WITH_CREDENTIALS:
        credentials(idp, ci, up, prov, cli, tokens, pool, guest, alice)

    # --- Tear down --------------------------------------------------------------------------
    r = ci.delete_identities(IdentityIdsToDelete=[guest, other])
    eq(r["UnprocessedIdentityIds"], [], "deleted identities")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", ci.describe_identity, IdentityId=guest)
    for p in (pool, closed, nopool_user):
        ci.delete_identity_pool(IdentityPoolId=p)
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", ci.delete_identity_pool, IdentityPoolId=pool)
    for p in (up, up2):
        idp.delete_user_pool(UserPoolId=p)

    print(json.dumps({
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "calls": len(calls),
        "operations": sorted({op for op, status in calls if status == 200}),
        "errors": {op: sorted(set(codes)) for op, codes in sorted(errors.items())},
        "server_errors": [op for op, status in calls if status >= 500],
        "signing": {op: sorted(how) for op, how in sorted(signed.items())},
        "credentials": WITH_CREDENTIALS,
    }))


def credentials(idp, ci, up, prov, cli, tokens, pool, guest, alice):
    """IAM roles trusting the pool, credentials for a guest and a user, checked through STS."""
    iam = client("iam")

    def role(name, amr):
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                          "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}}]}
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]

    auth, unauth, bob_role = role("boto-auth", "authenticated"), role("boto-guest", "unauthenticated"), role("boto-bob", "authenticated")
    ci.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": auth, "unauthenticated": unauth},
                               RoleMappings={f"{prov}:{cli}": {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole",
                                             "RulesConfiguration": {"Rules": [{"Claim": "email", "MatchType": "StartsWith",
                                                                               "Value": "bob", "RoleARN": bob_role}]}}})

    def caller(identity, logins=None):
        kwargs = {"IdentityId": identity}
        if logins:
            kwargs["Logins"] = logins
        c = ci.get_credentials_for_identity(**kwargs)
        eq(c["IdentityId"], identity, "credentials identity")
        cr = c["Credentials"]
        check(cr["AccessKeyId"].startswith("ASIA"), "temporary key id")
        check(hasattr(cr["Expiration"], "timestamp"), "Expiration parsed as a timestamp")
        sts = client("sts", key=cr["AccessKeyId"], secret=cr["SecretKey"], token=cr["SessionToken"])
        return sts.get_caller_identity()["Arn"]

    eq(caller(guest), "arn:aws:sts::000000000000:assumed-role/boto-guest/CognitoIdentityCredentials", "guest role")
    eq(caller(alice, {prov: tokens["alice"]}), "arn:aws:sts::000000000000:assumed-role/boto-auth/CognitoIdentityCredentials", "user role")
    bob = ci.get_id(IdentityPoolId=pool, Logins={prov: tokens["bob"]})["IdentityId"]
    eq(caller(bob, {prov: tokens["bob"]}), "arn:aws:sts::000000000000:assumed-role/boto-bob/CognitoIdentityCredentials", "rule role")


if __name__ == "__main__":
    main()
