#!/usr/bin/env python3
"""Remembered devices through pycognito's AWSSRP (its own device code: the verifier of a random
device password for ConfirmDevice, DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER after the
password) over a boto3 "cognito-idp" client pointed at the server.

pycognito's confirm_device, update_device_status and forget_device post with `requests` to
https://cognito-idp.{region}.amazonaws.com/ whatever the boto3 client's endpoint; here that one
URL is sent to the server instead, the request otherwise as pycognito makes it. Refresh, list
and get have no pycognito form and go through boto3.

Usage: devices.py ENDPOINT_URL
Env:   DEV_POOL, DEV_CLIENT (no secret, USER_SRP_AUTH and refresh allowed) of a pool with
       DeviceConfiguration {ChallengeRequiredOnNewDevice: true,
       DeviceOnlyRememberedOnUserPrompt: false} and MFA ON; DEV_USER, DEV_PASSWORD;
       DEV_TOTP_SECRET (the user's authenticator, base32); DEV_TOTP_AT (epoch seconds): the time
       of the first TOTP code sent, each next one 30 s later (three in all).

Every step asserts what pycognito and boto3 parsed; any mismatch raises. On success the last
line of stdout is a JSON summary: the steps passed, the key the first sign-in confirmed (since
forgotten) and the key the last one confirmed.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import types

import boto3
import requests
from botocore.config import Config
from pycognito import aws_srp
from pycognito.aws_srp import AWSSRP, SoftwareTokenMFAChallengeException

ENDPOINT = sys.argv[1]
E = os.environ
passed = []


def to_endpoint(url, **kwargs):
    assert url.startswith("https://cognito-idp.") and url.endswith(".amazonaws.com/"), url
    return requests.post(ENDPOINT, **kwargs)


aws_srp.requests = types.SimpleNamespace(post=to_endpoint)

c = boto3.session.Session().client(
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


codes_sent = 0


def next_code():
    global codes_sent
    at = int(E["DEV_TOTP_AT"]) + 30 * codes_sent
    codes_sent += 1
    return totp(E["DEV_TOTP_SECRET"], at)


def claims(jwt):
    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def srp(device=None):
    extra = {}
    if device:
        extra = {"device_key": device[0], "device_group_key": device[1], "device_password": device[2]}
    return AWSSRP(E["DEV_USER"], E["DEV_PASSWORD"], E["DEV_POOL"], E["DEV_CLIENT"], client=c, **extra)


def sign_in(device=None):
    """authenticate_user; a TOTP challenge is answered with the next code (and the device key,
    as a client that knows one sends it). Returns (AWSSRP, result, whether TOTP was asked)."""
    s = srp(device)
    try:
        return s, s.authenticate_user()["AuthenticationResult"], False
    except SoftwareTokenMFAChallengeException as e:
        challenge = e.get_tokens()
    responses = {
        "USERNAME": challenge["ChallengeParameters"]["USER_ID_FOR_SRP"],
        "SOFTWARE_TOKEN_MFA_CODE": next_code(),
    }
    if device:
        responses["DEVICE_KEY"] = device[0]
    out = c.respond_to_auth_challenge(
        ClientId=E["DEV_CLIENT"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses=responses,
    )
    return s, out["AuthenticationResult"], True


def confirm(s, result):
    """pycognito's confirm_device: (key, group key, device password)."""
    response, password = s.confirm_device({"AuthenticationResult": result}, device_name="pycognito")
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.json().get("UserConfirmationNecessary") is False, response.text
    return s.device_key, s.device_group_key, password


def status(access, key):
    got = c.get_device(AccessToken=access, DeviceKey=key)["Device"]
    return {a["Name"]: a["Value"] for a in got["DeviceAttributes"]}["dev:device_remembered_status"]


# 1. A new device: TOTP, then pycognito confirms it from NewDeviceMetadata.
s, result, asked = sign_in()
assert asked, "the first sign-in asks for the TOTP code"
meta = result["NewDeviceMetadata"]
device = confirm(s, result)
assert device[:2] == (meta["DeviceKey"], meta["DeviceGroupKey"]), (device, meta)
assert claims(result["AccessToken"])["device_key"] == device[0]
passed.append("new device confirmed by pycognito")

# 2. The remembered device proves itself; no TOTP code is asked.
s, result, asked = sign_in(device)
assert not asked, "no TOTP code asked of a remembered device"
assert "NewDeviceMetadata" not in result, result
assert claims(result["AccessToken"])["device_key"] == device[0]
passed.append("remembered device replaces totp")

# 3. A refresh with the device key.
out = c.initiate_auth(
    ClientId=E["DEV_CLIENT"],
    AuthFlow="REFRESH_TOKEN_AUTH",
    AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "DEVICE_KEY": device[0]},
)
access = out["AuthenticationResult"]["AccessToken"]
assert claims(access)["device_key"] == device[0]
passed.append("refresh with device key")

# 4. Listed and read.
listed = c.list_devices(AccessToken=access, Limit=10)["Devices"]
assert [d["DeviceKey"] for d in listed] == [device[0]], listed
names = {a["Name"]: a["Value"] for a in listed[0]["DeviceAttributes"]}
assert names["device_name"] == "pycognito", names
assert status(access, device[0]) == "remembered"
passed.append("list and get devices")

# 5. Not remembered: the TOTP code is asked (and the tokens still go to the device);
#    remembered again: the device stands in once more.
assert "[200]" in s.update_device_status(False, access, device[0])
assert status(access, device[0]) == "not_remembered"
_, result, asked = sign_in(device)
assert asked, "a device not remembered does not replace the TOTP code"
assert "NewDeviceMetadata" not in result, result
assert claims(result["AccessToken"])["device_key"] == device[0]
assert "[200]" in s.update_device_status(True, access, device[0])
assert status(access, device[0]) == "remembered"
s, result, asked = sign_in(device)
assert not asked, "remembered again"
passed.append("not remembered asks totp, remembered again does not")

# 6. forget_device: what was issued to the device is revoked; signing in with the forgotten
#    device asks for the TOTP code and issues a new device.
assert "[200]" in s.forget_device(result["AccessToken"], device[0])
try:
    c.list_devices(AccessToken=result["AccessToken"])
    raise AssertionError("the forgotten device's token still works")
except c.exceptions.NotAuthorizedException:
    pass
s, result, asked = sign_in(device)
assert asked, "a forgotten device does not replace the TOTP code"
fresh = confirm(s, result)
assert fresh[0] != device[0], fresh
listed = c.list_devices(AccessToken=result["AccessToken"])["Devices"]
assert [d["DeviceKey"] for d in listed] == [fresh[0]], listed
passed.append("forget device")

print(json.dumps({"passed": passed, "forgotten": device[0], "current": fresh[0]}))
