#!/usr/bin/env python3
"""Drive Portcullis's IAM and STS endpoints (AWS Query protocol) with boto3.

Usage: iam_sts.py ENDPOINT_URL main      roles, policies, AssumeRoleWithWebIdentity, GetCallerIdentity
       iam_sts.py ENDPOINT_URL expired   after the server clock moved past the credentials' expiry
                                    (the caller deletes the role the main phase leaves)

Environment:
  PORTCULLIS_TEST_ACCESS_KEY / PORTCULLIS_TEST_SECRET_KEY   the management key
  PORTCULLIS_ID_TOKEN      a user-pool ID token (from the hosted sign-in)
  PORTCULLIS_CLIENT_ID     its app client (the token's aud)
  PORTCULLIS_PROVIDER      the pool's issuer without scheme (the Federated principal)
  PORTCULLIS_VENDED        (expired phase) the credentials the main phase printed, as JSON

Every step asserts what boto3 parsed; any mismatch raises and the script exits non-zero. On
success the last line of stdout is a JSON summary: the operations boto3 completed with their
HTTP status, how each was signed, the error codes it raised, and (main phase) the vended
credentials for the next phase.
"""

import datetime
import json
import os
import sys
import urllib.parse

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError
from checks import check, eq, errors
from checks import raises_with as raises

ENDPOINT = sys.argv[1]
PHASE = sys.argv[2] if len(sys.argv) > 2 else "main"
ACCESS_KEY = os.environ["PORTCULLIS_TEST_ACCESS_KEY"]
SECRET_KEY = os.environ["PORTCULLIS_TEST_SECRET_KEY"]
ID_TOKEN = os.environ["PORTCULLIS_ID_TOKEN"]
CLIENT_ID = os.environ["PORTCULLIS_CLIENT_ID"]
PROVIDER = os.environ["PORTCULLIS_PROVIDER"]
ACCOUNT = "000000000000"
ROLE = "boto-web"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/boto/{ROLE}"

calls = []  # (operation, HTTP status)
signed = {}  # operation -> {"sigv4", "unsigned"} as sent on the wire


def client(service, key=ACCESS_KEY, secret=SECRET_KEY, token=None):
    """A boto3 client on the endpoint; key=None makes one without any credentials."""
    kwargs = {}
    if key is not None:
        kwargs = {"aws_access_key_id": key, "aws_secret_access_key": secret, "aws_session_token": token}
    c = boto3.session.Session().client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        # No retries: a 500 must surface, not be retried away.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
        **kwargs,
    )

    def record(http_response, parsed, model, **_):
        calls.append((model.name, http_response.status_code))

    def sent(request, **_):
        body = request.body or b""
        if isinstance(body, bytes):
            body = body.decode()
        op = urllib.parse.parse_qs(body).get("Action", ["?"])[0]
        auth = request.headers.get("Authorization", b"")
        auth = auth.decode() if isinstance(auth, bytes) else auth
        signed.setdefault(op, set()).add("sigv4" if auth.startswith("AWS4-HMAC-SHA256 ") else "unsigned")

    c.meta.events.register(f"after-call.{service}", record)
    c.meta.events.register(f"before-send.{service}", sent)
    return c





def trust(aud):
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{PROVIDER}:aud": aud}},
        }],
    }


READ_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::photos/*"}],
}


def main_phase():
    iam = client("iam")
    ix = iam.exceptions

    # --- Roles ------------------------------------------------------------------------------
    role = iam.create_role(RoleName=ROLE, Path="/boto/", AssumeRolePolicyDocument=json.dumps(trust(CLIENT_ID)),
                           Description="Users of the web app", MaxSessionDuration=7200)["Role"]
    eq((role["RoleName"], role["Path"], role["Arn"]), (ROLE, "/boto/", ROLE_ARN), "CreateRole")
    check(role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21, f"RoleId {role['RoleId']}")
    eq(role["AssumeRolePolicyDocument"], trust(CLIENT_ID), "trust policy decoded by boto3")
    eq((role["Description"], role["MaxSessionDuration"]), ("Users of the web app", 7200), "Description, duration")
    check(isinstance(role["CreateDate"], datetime.datetime), "CreateDate parses as a timestamp")
    other = iam.create_role(RoleName="boto-other", Path="/boto/",
                            AssumeRolePolicyDocument=json.dumps(trust("someone-else")))["Role"]
    eq(other["MaxSessionDuration"], 3600, "default MaxSessionDuration")
    got = iam.get_role(RoleName=ROLE)["Role"]
    eq((got["RoleId"], got["CreateDate"]), (role["RoleId"], role["CreateDate"]), "GetRole")

    raises(ix.EntityAlreadyExistsException, "EntityAlreadyExists", 409, iam.create_role,
           RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust(CLIENT_ID)))
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.get_role, RoleName="nobody")
    raises(ix.MalformedPolicyDocumentException, "MalformedPolicyDocument", 400, iam.create_role,
           RoleName="boto-bad", AssumeRolePolicyDocument='{"Statement": "nope"}')
    e = raises(ClientError, "ValidationError", 400, iam.create_role,
               RoleName="has space", AssumeRolePolicyDocument=json.dumps(trust(CLIENT_ID)))
    check("roleName" in e.response["Error"]["Message"], "ValidationError names the member")

    first = iam.list_roles(PathPrefix="/boto/", MaxItems=1)
    eq((len(first["Roles"]), first["IsTruncated"]), (1, True), "ListRoles first page")
    rest = iam.list_roles(PathPrefix="/boto/", MaxItems=1, Marker=first["Marker"])
    eq(rest["IsTruncated"], False, "ListRoles last page")
    check("Marker" not in rest, "no Marker on the last page")
    eq(sorted(r["RoleName"] for r in first["Roles"] + rest["Roles"]), ["boto-other", ROLE], "ListRoles pages")
    every = iam.get_paginator("list_roles").paginate(PathPrefix="/boto/", PaginationConfig={"PageSize": 1})
    eq(sorted(r["RoleName"] for r in every.build_full_result()["Roles"]), ["boto-other", ROLE], "paginator")
    eq(iam.list_roles(PathPrefix="/elsewhere/")["Roles"], [], "PathPrefix filters")

    # --- Inline policies --------------------------------------------------------------------
    iam.put_role_policy(RoleName=ROLE, PolicyName="photos", PolicyDocument=json.dumps(READ_POLICY))
    p = iam.get_role_policy(RoleName=ROLE, PolicyName="photos")
    eq((p["RoleName"], p["PolicyName"], p["PolicyDocument"]), (ROLE, "photos", READ_POLICY), "GetRolePolicy")
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.get_role_policy, RoleName=ROLE, PolicyName="nope")
    raises(ix.MalformedPolicyDocumentException, "MalformedPolicyDocument", 400, iam.put_role_policy,
           RoleName=ROLE, PolicyName="bad", PolicyDocument=json.dumps(trust(CLIENT_ID)))
    raises(ix.DeleteConflictException, "DeleteConflict", 409, iam.delete_role, RoleName=ROLE)
    iam.delete_role_policy(RoleName=ROLE, PolicyName="photos")
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.delete_role_policy, RoleName=ROLE, PolicyName="photos")

    # --- Managed policies (a role given an SMS policy, as Cognito fixtures do) ---------------
    sms = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}]}
    created = iam.create_policy(PolicyName="boto-sms", Path="/boto/", PolicyDocument=json.dumps(sms),
                                Description="Send SMS")["Policy"]
    policy_arn = created["Arn"]
    eq(policy_arn, ROLE_ARN.split(":role/")[0] + ":policy/boto/boto-sms", "CreatePolicy ARN")
    check(created["PolicyId"].startswith("ANPA") and created["DefaultVersionId"] == "v1", f"CreatePolicy {created}")
    eq((created["AttachmentCount"], created["IsAttachable"]), (0, True), "a new policy is attached nowhere")
    raises(ix.EntityAlreadyExistsException, "EntityAlreadyExists", 409, iam.create_policy,
           PolicyName="BOTO-SMS", PolicyDocument=json.dumps(sms))
    raises(ix.MalformedPolicyDocumentException, "MalformedPolicyDocument", 400, iam.create_policy,
           PolicyName="boto-bad", PolicyDocument='{"Statement": "nope"}')
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy_arn)
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=policy_arn)
    got = iam.get_policy(PolicyArn=policy_arn)["Policy"]
    eq((got["AttachmentCount"], got["Description"]), (1, "Send SMS"), "GetPolicy counts the role once")
    version = iam.get_policy_version(PolicyArn=policy_arn, VersionId="v1")["PolicyVersion"]
    eq((version["Document"], version["IsDefaultVersion"]), (sms, True), "GetPolicyVersion, decoded by boto3")
    attached = iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]
    eq(attached, [{"PolicyName": "boto-sms", "PolicyArn": policy_arn}], "ListAttachedRolePolicies")
    listed = iam.list_policies(Scope="Local", OnlyAttached=True, PathPrefix="/boto/")["Policies"]
    eq([p["Arn"] for p in listed], [policy_arn], "ListPolicies")
    eq(iam.list_policies(Scope="AWS")["Policies"], [], "no AWS managed policies here")
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.attach_role_policy,
           RoleName=ROLE, PolicyArn=policy_arn + "-missing")
    raises(ix.DeleteConflictException, "DeleteConflict", 409, iam.delete_policy, PolicyArn=policy_arn)
    raises(ix.DeleteConflictException, "DeleteConflict", 409, iam.delete_role, RoleName=ROLE)
    iam.detach_role_policy(RoleName=ROLE, PolicyArn=policy_arn)
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.detach_role_policy, RoleName=ROLE, PolicyArn=policy_arn)
    iam.delete_policy(PolicyArn=policy_arn)
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.get_policy, PolicyArn=policy_arn)

    # --- STS: web identity → credentials ----------------------------------------------------
    anonymous = client("sts", key=None)
    sx = anonymous.exceptions
    before = datetime.datetime.now(datetime.timezone.utc)
    r = anonymous.assume_role_with_web_identity(RoleArn=ROLE_ARN, RoleSessionName="alice",
                                                WebIdentityToken=ID_TOKEN, DurationSeconds=3600)
    c = r["Credentials"]
    check(c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20, f"AccessKeyId {c['AccessKeyId']}")
    eq(len(c["SecretAccessKey"]), 40, "secret length")
    check(len(c["SessionToken"]) >= 100, "session token length")
    lifetime = (c["Expiration"] - before).total_seconds()
    check(3590 <= lifetime <= 3610, f"Expiration an hour ahead: {lifetime}")
    eq(r["AssumedRoleUser"]["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice", "AssumedRoleUser.Arn")
    eq(r["AssumedRoleUser"]["AssumedRoleId"], f"{role['RoleId']}:alice", "AssumedRoleId")
    eq((r["Provider"], r["Audience"]), (PROVIDER, CLIENT_ID), "Provider and Audience")
    check(r["SubjectFromWebIdentityToken"], "SubjectFromWebIdentityToken")

    e = raises(ClientError, "AccessDenied", 403, anonymous.assume_role_with_web_identity,
               RoleArn=f"arn:aws:iam::{ACCOUNT}:role/boto/boto-other", RoleSessionName="alice",
               WebIdentityToken=ID_TOKEN)
    eq(e.response["Error"]["Message"], "Not authorized to perform sts:AssumeRoleWithWebIdentity", "AccessDenied text")
    raises(sx.InvalidIdentityTokenException, "InvalidIdentityToken", 400, anonymous.assume_role_with_web_identity,
           RoleArn=ROLE_ARN, RoleSessionName="alice", WebIdentityToken=ID_TOKEN[:-4] + "AAAA")
    e = raises(ClientError, "ValidationError", 400, anonymous.assume_role_with_web_identity,
               RoleArn=ROLE_ARN, RoleSessionName="alice", WebIdentityToken=ID_TOKEN, DurationSeconds=7300)
    check("MaxSessionDuration" in e.response["Error"]["Message"], "duration above the role's maximum")

    # --- STS: who am I, with the vended credentials -----------------------------------------
    me = client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).get_caller_identity()
    eq(me["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice", "GetCallerIdentity Arn")
    eq((me["UserId"], me["Account"]), (f"{role['RoleId']}:alice", ACCOUNT), "GetCallerIdentity UserId, Account")
    tampered = c["SecretAccessKey"][:-1] + ("A" if c["SecretAccessKey"][-1] != "A" else "B")
    raises(ClientError, "SignatureDoesNotMatch", 403,
           client("sts", c["AccessKeyId"], tampered, c["SessionToken"]).get_caller_identity)
    raises(ClientError, "InvalidClientTokenId", 403,
           client("sts", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"] + "x").get_caller_identity)
    raises(ClientError, "InvalidClientTokenId", 403,
           client("sts", c["AccessKeyId"], c["SecretAccessKey"]).get_caller_identity)
    raises(ClientError, "AccessDenied", 403,
           client("iam", c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]).list_roles)
    root = client("sts").get_caller_identity()
    eq((root["Arn"], root["UserId"], root["Account"]), (f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT),
       "GetCallerIdentity with the management key")
    raises(ClientError, "SignatureDoesNotMatch", 403, client("iam", secret="wrong/secret+key000000000000000000000000").list_roles)
    raises(ClientError, "InvalidClientTokenId", 403, client("iam", key="AKIAUNKNOWNKEY000000").list_roles)

    iam.delete_role(RoleName="boto-other")
    raises(ix.NoSuchEntityException, "NoSuchEntity", 404, iam.get_role, RoleName="boto-other")
    return {"vended": {k: c[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}}


def expired_phase():
    v = json.loads(os.environ["PORTCULLIS_VENDED"])
    sts = client("sts", v["AccessKeyId"], v["SecretAccessKey"], v["SessionToken"])
    e = raises(ClientError, "ExpiredToken", 403, sts.get_caller_identity)
    eq(e.response["Error"]["Message"], "The security token included in the request is expired", "ExpiredToken text")
    anonymous = client("sts", key=None)
    raises(anonymous.exceptions.ExpiredTokenException, "ExpiredTokenException", 400,
           anonymous.assume_role_with_web_identity, RoleArn=ROLE_ARN, RoleSessionName="alice",
           WebIdentityToken=ID_TOKEN)
    # The management key cannot sign now either: the server's clock is an hour ahead of ours.
    raises(ClientError, "SignatureDoesNotMatch", 403, client("iam").delete_role, RoleName=ROLE)
    return {}


def main():
    extra = main_phase() if PHASE == "main" else expired_phase()
    print(json.dumps({
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "phase": PHASE,
        "calls": len(calls),
        "operations": sorted({op for op, status in calls if status == 200}),
        "errors": {op: sorted(set(codes)) for op, codes in sorted(errors.items())},
        "server_errors": [op for op, status in calls if status >= 500],
        "signing": {op: sorted(how) for op, how in sorted(signed.items())},
        **extra,
    }))


if __name__ == "__main__":
    main()
