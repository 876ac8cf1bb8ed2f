#!/usr/bin/env python3
"""Sign in to Portcullis with USER_SRP_AUTH through pycognito's AWSSRP (its own SRP client code)
over a boto3 "cognito-idp" client pointed at the server.

Usage: srp.py ENDPOINT_URL
Env:   SRP_POOL, SRP_CLIENT (a client without secret, USER_SRP_AUTH allowed), SRP_USER and
       SRP_PASSWORD (a confirmed user), SRP_TEMP_USER / SRP_TEMP_PASSWORD (made by AdminCreateUser),
       SRP_MFA_POOL / SRP_MFA_CLIENT / SRP_MFA_USER / SRP_MFA_PASSWORD / SRP_MFA_SECRET (a user
       with an authenticator app, its base32 secret), SRP_MFA_AT (the server's clock, epoch seconds,
       for the TOTP code).

Every step asserts what pycognito and boto3 parsed; any mismatch raises. On success the last
line of stdout is a JSON summary of the steps that passed.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP, SoftwareTokenMFAChallengeException

ENDPOINT = sys.argv[1]
E = os.environ
passed = []


def idp():
    return boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def totp(secret_b32, at):
    """RFC 6238 with SHA-1, 6 digits, 30 s: written here, not taken from the server."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=True)
    mac = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def claims(jwt):
    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def expect_refused(fn, what):
    try:
        fn()
    except ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == "NotAuthorizedException", (what, err)
        assert err["Message"] == "Incorrect username or password.", (what, err)
        return
    raise AssertionError(f"{what}: no error")


c = idp()

# Tokens for a confirmed user.
srp = AWSSRP(E["SRP_USER"], E["SRP_PASSWORD"], E["SRP_POOL"], E["SRP_CLIENT"], client=c)
tokens = srp.authenticate_user()
result = tokens["AuthenticationResult"]
assert claims(result["AccessToken"])["username"] == E["SRP_USER"], result
assert claims(result["IdToken"])["cognito:username"] == E["SRP_USER"]
user = c.get_user(AccessToken=result["AccessToken"])
assert user["Username"] == E["SRP_USER"], user
passed.append("tokens")

# A wrong password.
wrong = AWSSRP(E["SRP_USER"], E["SRP_PASSWORD"] + "x", E["SRP_POOL"], E["SRP_CLIENT"], client=c)
expect_refused(wrong.authenticate_user, "wrong password")
passed.append("wrong password refused")

# NEW_PASSWORD_REQUIRED for a user made by AdminCreateUser, through pycognito's own walk.
fresh = AWSSRP(E["SRP_TEMP_USER"], E["SRP_TEMP_PASSWORD"], E["SRP_POOL"], E["SRP_CLIENT"], client=c)
done = fresh.set_new_password_challenge("Brand-New-Pass-7")
assert "AccessToken" in done["AuthenticationResult"], done
again = AWSSRP(E["SRP_TEMP_USER"], "Brand-New-Pass-7", E["SRP_POOL"], E["SRP_CLIENT"], client=c).authenticate_user()
assert "AccessToken" in again["AuthenticationResult"], again
passed.append("new password required")

# SOFTWARE_TOKEN_MFA after the proof.
mfa = AWSSRP(E["SRP_MFA_USER"], E["SRP_MFA_PASSWORD"], E["SRP_MFA_POOL"], E["SRP_MFA_CLIENT"], client=c)
try:
    mfa.authenticate_user()
    raise AssertionError("no MFA challenge")
except SoftwareTokenMFAChallengeException as e:
    challenge = e.get_tokens()
assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA", challenge
out = c.respond_to_auth_challenge(
    ClientId=E["SRP_MFA_CLIENT"],
    ChallengeName="SOFTWARE_TOKEN_MFA",
    Session=challenge["Session"],
    ChallengeResponses={
        "USERNAME": challenge["ChallengeParameters"]["USER_ID_FOR_SRP"],
        "SOFTWARE_TOKEN_MFA_CODE": totp(E["SRP_MFA_SECRET"], int(E["SRP_MFA_AT"])),
    },
)
assert claims(out["AuthenticationResult"]["AccessToken"])["username"] == E["SRP_MFA_USER"], out
passed.append("software token mfa")

print(json.dumps({"passed": passed}))
