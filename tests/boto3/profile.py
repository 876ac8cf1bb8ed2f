#!/usr/bin/env python3
"""Drive a user's own profile and the administrator's profile actions with boto3.

Usage: profile.py ENDPOINT_URL
Keys:  PORTCULLIS_TEST_ACCESS_KEY / PORTCULLIS_TEST_SECRET_KEY (the management key)

ChangePassword, UpdateUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute,
DeleteUserAttributes, AdminDeleteUserAttributes, SetUserSettings, AdminSetUserSettings,
GetUserAuthFactors, AdminGetUserAuthFactors, GetSigningCertificate, UpdateUserPoolDomain,
Add/List/DeleteUserPoolClientSecret and DeleteUser, each asserting what boto3 parsed, and a few
of their errors. The last line of stdout is a JSON summary: the operations boto3 completed and
the error codes it raised.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

import boto3
from botocore.config import Config
from checks import check, eq, errors, raises

ENDPOINT = sys.argv[1]
PASSWORD = "Correct-Horse-99"
NEW_PASSWORD = "Battery-Staple-77"

done = []


def record(http_response, parsed, model, **_):
    if http_response.status_code == 200:
        done.append(model.name)


def client():
    c = boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=os.environ["PORTCULLIS_TEST_ACCESS_KEY"],
        aws_secret_access_key=os.environ["PORTCULLIS_TEST_SECRET_KEY"],
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )
    c.meta.events.register("after-call.cognito-idp", record)
    return c


def secret_hash(username, client_id, secret):
    mac = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def main():
    idp = client()
    ex = idp.exceptions
    pool = idp.create_user_pool(
        PoolName="profile",
        AutoVerifiedAttributes=["email"],
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
    )["UserPool"]["Id"]
    app = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool,
        Username="alice",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "alice@example.com"},
            {"Name": "email_verified", "Value": "True"},
            {"Name": "family_name", "Value": "A"},
        ],
    )
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=PASSWORD, Permanent=True)

    def sign_in(password):
        r = idp.initiate_auth(
            ClientId=app, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "alice", "PASSWORD": password}
        )
        return r["AuthenticationResult"]["AccessToken"]

    token = sign_in(PASSWORD)

    # Password.
    raises(
        ex.NotAuthorizedException,
        "NotAuthorizedException",
        idp.change_password,
        PreviousPassword="Wrong-Horse-99",
        ProposedPassword=NEW_PASSWORD,
        AccessToken=token,
    )
    raises(
        ex.InvalidPasswordException,
        "InvalidPasswordException",
        idp.change_password,
        PreviousPassword=PASSWORD,
        ProposedPassword="short",
        AccessToken=token,
    )
    idp.change_password(PreviousPassword=PASSWORD, ProposedPassword=NEW_PASSWORD, AccessToken=token)
    raises(ex.NotAuthorizedException, "NotAuthorizedException", sign_in, password=PASSWORD)
    token = sign_in(NEW_PASSWORD)

    # Attributes.
    r = idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": "alice2@example.com"}]
    )
    eq([d["AttributeName"] for d in r["CodeDeliveryDetailsList"]], ["email"], "a code for the new address")
    eq(r["CodeDeliveryDetailsList"][0]["DeliveryMedium"], "EMAIL", "by e-mail")
    r = idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    eq(r["CodeDeliveryDetails"]["AttributeName"], "email", "code delivery")
    raises(
        ex.CodeMismatchException,
        "CodeMismatchException",
        idp.verify_user_attribute,
        AccessToken=token,
        AttributeName="email",
        Code="not-a-code",  # never the six digits mailed
    )
    idp.delete_user_attributes(AccessToken=token, UserAttributeNames=["family_name"])
    user = idp.admin_get_user(UserPoolId=pool, Username="alice")
    names = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    check("family_name" not in names, f"family_name deleted: {names}")
    eq(names["email"], "alice2@example.com", "the new address, unverified")
    eq(names["email_verified"], "false", "not verified yet")
    idp.admin_update_user_attributes(
        UserPoolId=pool, Username="alice", UserAttributes=[{"Name": "given_name", "Value": "Al"}]
    )
    idp.admin_delete_user_attributes(UserPoolId=pool, Username="alice", UserAttributeNames=["given_name"])
    raises(
        ex.UserNotFoundException,
        "UserNotFoundException",
        idp.admin_delete_user_attributes,
        UserPoolId=pool,
        Username="nobody",
        UserAttributeNames=["given_name"],
    )

    # Settings and factors.
    idp.set_user_settings(AccessToken=token, MFAOptions=[])
    idp.admin_set_user_settings(UserPoolId=pool, Username="alice", MFAOptions=[])
    raises(
        ex.InvalidParameterException,
        "InvalidParameterException",
        idp.set_user_settings,
        AccessToken=token,
        MFAOptions=[{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
    )
    f = idp.get_user_auth_factors(AccessToken=token)
    eq(f["Username"], "alice", "username")
    eq(f["ConfiguredUserAuthFactors"], ["PASSWORD"], "no verified address, so no EMAIL_OTP")
    if hasattr(idp, "admin_get_user_auth_factors"):  # newer botocore models only
        f = idp.admin_get_user_auth_factors(UserPoolId=pool, Username="alice")
        eq(f["ConfiguredUserAuthFactors"], ["PASSWORD"], "admin view")

    # Pool: certificate and domain.
    cert = idp.get_signing_certificate(UserPoolId=pool)["Certificate"]
    der = base64.b64decode(cert)
    eq(der[0], 0x30, "a DER SEQUENCE")
    check(pool.encode() in der, "the certificate names the pool")
    idp.create_user_pool_domain(UserPoolId=pool, Domain="profile-test")
    r = idp.update_user_pool_domain(UserPoolId=pool, Domain="profile-test", ManagedLoginVersion=2)
    eq(r["ManagedLoginVersion"], 2, "managed login version")
    eq(idp.describe_user_pool_domain(Domain="profile-test")["DomainDescription"]["ManagedLoginVersion"], 2, "stored")

    # Client secrets: both work for SECRET_HASH until the first goes.
    c = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="conf", GenerateSecret=True, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    cid, first = c["ClientId"], c["ClientSecret"]
    added = idp.add_user_pool_client_secret(UserPoolId=pool, ClientId=cid)["ClientSecretDescriptor"]
    second = added["ClientSecretValue"]
    listed = idp.list_user_pool_client_secrets(UserPoolId=pool, ClientId=cid)["ClientSecrets"]
    eq(len(listed), 2, "two secrets")
    check(all("ClientSecretValue" not in s for s in listed), "values never listed")
    raises(
        ex.LimitExceededException,
        "LimitExceededException",
        idp.add_user_pool_client_secret,
        UserPoolId=pool,
        ClientId=cid,
    )

    def sign_in_conf(secret):
        return idp.initiate_auth(
            ClientId=cid,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": NEW_PASSWORD, "SECRET_HASH": secret_hash("alice", cid, secret)},
        )

    sign_in_conf(first)
    sign_in_conf(second)
    first_id = [s["ClientSecretId"] for s in listed if s["ClientSecretId"] != added["ClientSecretId"]][0]
    idp.delete_user_pool_client_secret(UserPoolId=pool, ClientId=cid, ClientSecretId=first_id)
    raises(ex.NotAuthorizedException, "NotAuthorizedException", sign_in_conf, secret=first)
    sign_in_conf(second)

    # The user goes.
    idp.delete_user(AccessToken=token)
    raises(ex.UserNotFoundException, "UserNotFoundException", idp.admin_get_user, UserPoolId=pool, Username="alice")

    idp.delete_user_pool_domain(UserPoolId=pool, Domain="profile-test")
    idp.delete_user_pool(UserPoolId=pool)
    print(json.dumps({"operations": sorted(set(done)), "errors": errors}))


if __name__ == "__main__":
    main()
