#!/usr/bin/env python3
"""Drive Portcullis's Cognito management API with boto3, the real AWS SDK for Python.

Usage: management.py ENDPOINT_URL   (or PORTCULLIS_ENDPOINT in the environment)
Keys:  PORTCULLIS_TEST_ACCESS_KEY / PORTCULLIS_TEST_SECRET_KEY (the management key)

Every step asserts what boto3 parsed; any mismatch raises and the script exits non-zero. On
success the last line of stdout is a JSON summary: every operation boto3 called with the HTTP
status it got, and every error code boto3 raised, so the caller can check coverage.
"""

import base64
import hashlib
import hmac
import json
import os
import sys

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError
from checks import check, eq, errors, raises

ENDPOINT = sys.argv[1] if len(sys.argv) > 1 else os.environ["PORTCULLIS_ENDPOINT"]
ACCESS_KEY = os.environ["PORTCULLIS_TEST_ACCESS_KEY"]
SECRET_KEY = os.environ["PORTCULLIS_TEST_SECRET_KEY"]
PASSWORD = "Correct-Horse-99"
TEMP_PASSWORD = "Temporary-Pass-1"

calls = []  # (operation, HTTP status)
signed = {}  # operation -> set of "sigv4" / "unsigned" as sent on the wire


def client(secret=SECRET_KEY, key=ACCESS_KEY):
    c = boto3.session.Session().client(
        "cognito-idp",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        # No retries: a 500 must surface, not be retried away.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=30),
    )

    def record(http_response, parsed, model, **_):
        calls.append((model.name, http_response.status_code))

    def sent(request, **_):
        def header(name):
            v = request.headers.get(name, b"")
            return v.decode() if isinstance(v, bytes) else v

        op = header("X-Amz-Target").removeprefix("AWSCognitoIdentityProviderService.")
        how = "sigv4" if header("Authorization").startswith("AWS4-HMAC-SHA256 ") else "unsigned"
        signed.setdefault(op, set()).add(how)

    c.meta.events.register("after-call.cognito-idp", record)
    c.meta.events.register("before-send.cognito-idp", sent)
    return c





def attrs(list_):
    return {a["Name"]: a["Value"] for a in list_}


def secret_hash(username, client_id, client_secret):
    mac = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def main():
    idp = client()
    ex = idp.exceptions

    # --- Pools ------------------------------------------------------------------------------
    created = idp.create_user_pool(
        PoolName="boto-main",
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 10,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
                "TemporaryPasswordValidityDays": 3,
            }
        },
        AliasAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Schema=[
            {
                "Name": "tenant",
                "AttributeDataType": "String",
                "Mutable": True,
                "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "32"},
            },
            {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
        ],
        UserPoolTags={"team": "identity"},
    )["UserPool"]
    pool = created["Id"]
    region, suffix = pool.split("_", 1)
    check(len(suffix) == 9 and suffix.isalnum(), f"pool id shape {pool}")
    eq(created["Name"], "boto-main", "created pool name")
    check(hasattr(created["CreationDate"], "year"), "CreationDate parsed as a timestamp")

    described = idp.describe_user_pool(UserPoolId=pool)["UserPool"]
    eq(described["Id"], pool, "describe id")
    eq(described["Arn"], f"arn:aws:cognito-idp:{region}:000000000000:userpool/{pool}", "pool ARN")
    pp = described["Policies"]["PasswordPolicy"]
    eq(pp["MinimumLength"], 10, "MinimumLength")
    eq(pp["RequireSymbols"], False, "RequireSymbols")
    eq(pp["TemporaryPasswordValidityDays"], 3, "TemporaryPasswordValidityDays")
    eq(described["AliasAttributes"], ["email"], "AliasAttributes")
    eq(described["AutoVerifiedAttributes"], ["email"], "AutoVerifiedAttributes")
    eq(described["UserPoolTags"], {"team": "identity"}, "UserPoolTags")
    eq(described["MfaConfiguration"], "OFF", "MfaConfiguration default")
    eq(described["EstimatedNumberOfUsers"], 0, "EstimatedNumberOfUsers")
    schema = {a["Name"]: a for a in described["SchemaAttributes"]}
    eq(schema["custom:tenant"]["AttributeDataType"], "String", "custom attribute type")
    eq(schema["custom:tenant"]["StringAttributeConstraints"]["MaxLength"], "32", "custom attribute max length")
    eq(schema["email"]["Required"], True, "email required")
    check(described["LastModifiedDate"] >= described["CreationDate"], "dates ordered")

    # A second pool that signs in with the email as username, plus three to page over.
    email_pool = idp.create_user_pool(PoolName="boto-email", UsernameAttributes=["email"])["UserPool"]["Id"]
    extra_pools = [idp.create_user_pool(PoolName=f"boto-page-{i}")["UserPool"]["Id"] for i in range(3)]
    all_pools = {pool, email_pool, *extra_pools}

    seen, pages, token = [], 0, None
    while True:
        kw = {"MaxResults": 2}
        if token:
            kw["NextToken"] = token
        page = idp.list_user_pools(**kw)
        pages += 1
        check(len(page["UserPools"]) <= 2, "MaxResults honoured")
        seen += [p["Id"] for p in page["UserPools"]]
        token = page.get("NextToken")
        if not token:
            break
        check(pages < 20, "ListUserPools pagination ends")
    eq(len(seen), len(set(seen)), "no pool listed twice")
    check(all_pools <= set(seen), f"every pool listed: {all_pools - set(seen)}")
    check(pages >= 3, f"5 pools over MaxResults=2 take 3 pages, got {pages}")
    names = {p["Id"]: p["Name"] for p in idp.get_paginator("list_user_pools").paginate(
        MaxResults=60, PaginationConfig={"PageSize": 2}).build_full_result()["UserPools"]}
    eq(names[email_pool], "boto-email", "paginator sees pool names")

    idp.update_user_pool(
        UserPoolId=pool,
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireSymbols": False, "RequireUppercase": True,
                                     "RequireLowercase": True, "RequireNumbers": True}},
        AutoVerifiedAttributes=["email"],
        MfaConfiguration="OFF",
        DeletionProtection="ACTIVE",
        UserPoolTags={"team": "identity", "env": "test"},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )
    updated = idp.describe_user_pool(UserPoolId=pool)["UserPool"]
    eq(updated["DeletionProtection"], "ACTIVE", "DeletionProtection updated")
    eq(updated["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"], True, "AdminCreateUserConfig updated")
    eq(updated["UserPoolTags"], {"team": "identity", "env": "test"}, "tags updated")
    eq(updated["AliasAttributes"], ["email"], "AliasAttributes survive an update")
    check("custom:tenant" in {a["Name"] for a in updated["SchemaAttributes"]}, "schema survives an update")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.delete_user_pool, UserPoolId=pool)

    # Model-invalid values that pass botocore's own validation (it checks min, not max or pattern).
    e = raises(ex.InvalidParameterException, "InvalidParameterException", idp.create_user_pool,
               PoolName="too-long", Policies={"PasswordPolicy": {"MinimumLength": 100}})
    check("validation error" in e.response["Error"]["Message"], "AWS-worded validation message")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.describe_user_pool,
           UserPoolId="not a pool id!")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_user_pool,
           UserPoolId=f"{region}_missing00")

    # --- Resource servers (before the client that uses their scopes) ------------------------
    rs = idp.create_resource_server(
        UserPoolId=pool, Identifier="orders", Name="Orders API",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "Read orders"},
                {"ScopeName": "write", "ScopeDescription": "Write orders"}],
    )["ResourceServer"]
    eq((rs["UserPoolId"], rs["Identifier"], rs["Name"]), (pool, "orders", "Orders API"), "created resource server")
    idp.create_resource_server(UserPoolId=pool, Identifier="https://billing.example.com", Name="Billing",
                               Scopes=[{"ScopeName": "pay", "ScopeDescription": "Pay"}])
    rs = idp.describe_resource_server(UserPoolId=pool, Identifier="orders")["ResourceServer"]
    eq(sorted(s["ScopeName"] for s in rs["Scopes"]), ["read", "write"], "resource server scopes")
    rs = idp.update_resource_server(UserPoolId=pool, Identifier="https://billing.example.com", Name="Billing v2",
                                    Scopes=[{"ScopeName": "pay", "ScopeDescription": "Pay"},
                                            {"ScopeName": "refund", "ScopeDescription": "Refund"}])["ResourceServer"]
    eq((rs["Name"], len(rs["Scopes"])), ("Billing v2", 2), "UpdateResourceServer")
    listed = idp.list_resource_servers(UserPoolId=pool, MaxResults=10)["ResourceServers"]
    eq(sorted(r["Identifier"] for r in listed), ["https://billing.example.com", "orders"], "ListResourceServers")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_resource_server,
           UserPoolId=pool, Identifier="nope")

    # --- App clients ------------------------------------------------------------------------
    c = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        GenerateSecret=True,
        RefreshTokenValidity=7,
        AccessTokenValidity=30,
        IdTokenValidity=1,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
        ReadAttributes=["email", "email_verified", "name", "custom:tenant"],
        WriteAttributes=["email", "name"],
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        SupportedIdentityProviders=["COGNITO"],
        CallbackURLs=["https://app.example.com/callback", "http://localhost:3000/cb"],
        LogoutURLs=["https://app.example.com/bye"],
        DefaultRedirectURI="https://app.example.com/callback",
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile", "orders/read"],
        AllowedOAuthFlowsUserPoolClient=True,
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
    )["UserPoolClient"]
    client_id, client_secret = c["ClientId"], c["ClientSecret"]
    check(len(client_id) == 26 and client_id.isalnum() and client_id.islower(), f"client id shape {client_id}")
    check(len(client_secret) >= 40, "generated secret")
    d = idp.describe_user_pool_client(UserPoolId=pool, ClientId=client_id)["UserPoolClient"]
    for field, want in [
        ("UserPoolId", pool), ("ClientName", "web"), ("ClientId", client_id), ("ClientSecret", client_secret),
        ("RefreshTokenValidity", 7), ("AccessTokenValidity", 30), ("IdTokenValidity", 1),
        ("TokenValidityUnits", {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"}),
        ("ReadAttributes", ["email", "email_verified", "name", "custom:tenant"]),
        ("WriteAttributes", ["email", "name"]),
        ("ExplicitAuthFlows", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                               "ALLOW_REFRESH_TOKEN_AUTH"]),
        ("SupportedIdentityProviders", ["COGNITO"]),
        ("CallbackURLs", ["https://app.example.com/callback", "http://localhost:3000/cb"]),
        ("LogoutURLs", ["https://app.example.com/bye"]),
        ("DefaultRedirectURI", "https://app.example.com/callback"),
        ("AllowedOAuthFlows", ["code"]),
        ("AllowedOAuthScopes", ["openid", "email", "profile", "orders/read"]),
        ("AllowedOAuthFlowsUserPoolClient", True),
        ("PreventUserExistenceErrors", "ENABLED"),
        ("EnableTokenRevocation", True),
    ]:
        eq(d.get(field), want, f"DescribeUserPoolClient {field}")
    check(hasattr(d["CreationDate"], "year") and hasattr(d["LastModifiedDate"], "year"), "client dates parse")

    public = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="spa", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    check("ClientSecret" not in public, "no secret unless asked")
    raises(ex.ScopeDoesNotExistException, "ScopeDoesNotExistException", idp.create_user_pool_client,
           UserPoolId=pool, ClientName="bad", AllowedOAuthFlows=["code"], AllowedOAuthScopes=["orders/delete"],
           AllowedOAuthFlowsUserPoolClient=True, CallbackURLs=["https://app.example.com/callback"])
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.create_user_pool_client,
           UserPoolId=pool, ClientName="bad", CallbackURLs=["http://evil.example.com/cb"])

    listed = idp.list_user_pool_clients(UserPoolId=pool, MaxResults=60)["UserPoolClients"]
    eq(sorted((x["ClientName"], x["UserPoolId"]) for x in listed), [("spa", pool), ("web", pool)],
       "ListUserPoolClients")
    first = idp.list_user_pool_clients(UserPoolId=pool, MaxResults=1)
    eq(len(first["UserPoolClients"]), 1, "ListUserPoolClients MaxResults")
    rest = idp.list_user_pool_clients(UserPoolId=pool, MaxResults=1, NextToken=first["NextToken"])
    eq({first["UserPoolClients"][0]["ClientId"], rest["UserPoolClients"][0]["ClientId"]},
       {client_id, public["ClientId"]}, "ListUserPoolClients pages")

    u = idp.update_user_pool_client(
        UserPoolId=pool, ClientId=public["ClientId"], ClientName="spa-renamed",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        CallbackURLs=["myapp://callback"], AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid"],
        AllowedOAuthFlowsUserPoolClient=True, SupportedIdentityProviders=["COGNITO"],
        AccessTokenValidity=2, TokenValidityUnits={"AccessToken": "hours"},
    )["UserPoolClient"]
    eq((u["ClientName"], u["CallbackURLs"], u["AccessTokenValidity"]),
       ("spa-renamed", ["myapp://callback"], 2), "UpdateUserPoolClient result")
    d = idp.describe_user_pool_client(UserPoolId=pool, ClientId=public["ClientId"])["UserPoolClient"]
    eq((d["ClientName"], d["AllowedOAuthScopes"], d["TokenValidityUnits"]["AccessToken"]),
       ("spa-renamed", ["openid"], "hours"), "update persisted")
    u = idp.update_user_pool_client(UserPoolId=pool, ClientId=client_id, ClientName="web",
                                    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                                                       "ALLOW_REFRESH_TOKEN_AUTH"],
                                    CallbackURLs=["https://app.example.com/callback"],
                                    AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "orders/read"],
                                    AllowedOAuthFlowsUserPoolClient=True, AccessTokenValidity=30,
                                    TokenValidityUnits={"AccessToken": "minutes"})["UserPoolClient"]
    eq(u["ClientSecret"], client_secret, "update keeps the secret")
    eq(u["RefreshTokenValidity"], 30, "settings left out of an update return to their defaults")

    # --- Domains ----------------------------------------------------------------------------
    prefix = f"boto-{suffix.lower()}"
    idp.create_user_pool_domain(UserPoolId=pool, Domain=prefix)
    dd = idp.describe_user_pool_domain(Domain=prefix)["DomainDescription"]
    eq((dd["UserPoolId"], dd["Domain"], dd["Status"]), (pool, prefix, "ACTIVE"), "DescribeUserPoolDomain")
    eq(idp.describe_user_pool(UserPoolId=pool)["UserPool"]["Domain"], prefix, "pool shows its domain")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.create_user_pool_domain,
           UserPoolId=email_pool, Domain=prefix)
    idp.delete_user_pool_domain(UserPoolId=pool, Domain=prefix)
    eq(idp.describe_user_pool_domain(Domain=prefix)["DomainDescription"], {}, "deleted domain describes empty")
    # A custom domain is a full name (the model's pattern describes a prefix; its docs and AWS take both).
    custom = f"auth-{suffix.lower()}.example.com"
    cert = "arn:aws:acm:us-east-1:000000000000:certificate/0b7e1f3c-boto"
    made = idp.create_user_pool_domain(UserPoolId=pool, Domain=custom, CustomDomainConfig={"CertificateArn": cert})
    eq(made.get("CloudFrontDomain"), custom, "CreateUserPoolDomain answers CloudFrontDomain for a custom domain")
    dd = idp.describe_user_pool_domain(Domain=custom)["DomainDescription"]
    eq((dd["UserPoolId"], dd["Domain"], dd["CustomDomainConfig"]), (pool, custom, {"CertificateArn": cert}),
       "DescribeUserPoolDomain of a custom domain")
    eq(idp.describe_user_pool(UserPoolId=pool)["UserPool"]["CustomDomain"], custom, "pool shows its custom domain")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.create_user_pool_domain,
           UserPoolId=pool, Domain="dotted.prefix")
    idp.delete_user_pool_domain(UserPoolId=pool, Domain=custom)
    eq(idp.describe_user_pool_domain(Domain=custom)["DomainDescription"], {}, "custom domain deleted")

    # --- Users ------------------------------------------------------------------------------
    alice = idp.admin_create_user(
        UserPoolId=pool, Username="alice", TemporaryPassword=TEMP_PASSWORD, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"},
                        {"Name": "name", "Value": "Alice"}, {"Name": "custom:tenant", "Value": "acme"}],
    )["User"]
    eq((alice["Username"], alice["UserStatus"], alice["Enabled"]), ("alice", "FORCE_CHANGE_PASSWORD", True),
       "AdminCreateUser")
    a = attrs(alice["Attributes"])
    check(len(a.get("sub", "")) == 36, "sub attribute")
    eq((a["email"], a["custom:tenant"]), ("alice@example.com", "acme"), "created attributes")
    check(hasattr(alice["UserCreateDate"], "year"), "UserCreateDate parses")
    for name, email in [("bob", "bob@example.com"), ("carol", "carol@example.net"), ("dave", "dave@example.org"),
                        ("erin", "erin@example.org")]:
        idp.admin_create_user(UserPoolId=pool, Username=name, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": email}])

    raises(ex.UsernameExistsException, "UsernameExistsException", idp.admin_create_user,
           UserPoolId=pool, Username="alice", MessageAction="SUPPRESS",
           UserAttributes=[{"Name": "email", "Value": "other@example.com"}])
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.admin_create_user,
           UserPoolId=pool, Username="nomail", MessageAction="SUPPRESS")
    raises(ex.InvalidPasswordException, "InvalidPasswordException", idp.admin_create_user,
           UserPoolId=pool, Username="weak", TemporaryPassword="short", MessageAction="SUPPRESS",
           UserAttributes=[{"Name": "email", "Value": "weak@example.com"}])

    got = idp.admin_get_user(UserPoolId=pool, Username="alice")
    eq((got["Username"], got["UserStatus"], got["Enabled"]), ("alice", "FORCE_CHANGE_PASSWORD", True), "AdminGetUser")
    eq(attrs(got["UserAttributes"])["name"], "Alice", "AdminGetUser attributes")
    eq(idp.admin_get_user(UserPoolId=pool, Username="alice@example.com")["Username"], "alice",
       "verified email is an alias")

    # A temporary password signs in to the NEW_PASSWORD_REQUIRED challenge.
    sh = secret_hash("alice", client_id, client_secret)
    r = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "alice", "PASSWORD": TEMP_PASSWORD, "SECRET_HASH": sh})
    eq(r.get("ChallengeName"), "NEW_PASSWORD_REQUIRED", "temporary password gets the challenge")
    check(r.get("Session"), "challenge has a session")
    r = idp.respond_to_auth_challenge(ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=r["Session"],
                                      ChallengeResponses={"USERNAME": "alice", "NEW_PASSWORD": PASSWORD,
                                                          "SECRET_HASH": sh})
    check(r["AuthenticationResult"]["AccessToken"], "RespondToAuthChallenge signs in")
    eq(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserStatus"], "CONFIRMED", "new password confirms")
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=TEMP_PASSWORD, Permanent=False)

    raises(ex.InvalidPasswordException, "InvalidPasswordException", idp.admin_set_user_password,
           UserPoolId=pool, Username="alice", Password="alllowercase1", Permanent=True)
    raises(ex.UserNotFoundException, "UserNotFoundException", idp.admin_set_user_password,
           UserPoolId=pool, Username="nobody", Password=PASSWORD, Permanent=True)
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=PASSWORD, Permanent=True)
    eq(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserStatus"], "CONFIRMED", "Permanent=True")
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=TEMP_PASSWORD, Permanent=False)
    eq(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserStatus"], "FORCE_CHANGE_PASSWORD",
       "Permanent=False")
    idp.admin_set_user_password(UserPoolId=pool, Username="alice", Password=PASSWORD, Permanent=True)
    eq(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserStatus"], "CONFIRMED", "Permanent=True again")

    # InitiateAuth is unsigned in the model; boto3 sends it without SigV4.
    r = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": sh})
    result = r["AuthenticationResult"]
    eq(result["TokenType"], "Bearer", "TokenType")
    eq(result["ExpiresIn"], 1800, "ExpiresIn follows AccessTokenValidity=30 minutes")
    check(result["AccessToken"].count(".") == 2 and result["IdToken"].count(".") == 2, "JWTs")
    check(result["RefreshToken"], "refresh token")
    me = idp.get_user(AccessToken=result["AccessToken"])
    eq(me["Username"], "alice", "GetUser with the access token")
    raises(ex.NotAuthorizedException, "NotAuthorizedException", idp.initiate_auth,
           ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
           AuthParameters={"USERNAME": "alice", "PASSWORD": "Wrong-Horse-99", "SECRET_HASH": sh})
    raises(ex.NotAuthorizedException, "NotAuthorizedException", idp.initiate_auth,
           ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
           AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": "bm90LWl0"})
    r = idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                          AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": sh})
    check(r["AuthenticationResult"]["AccessToken"], "REFRESH_TOKEN_AUTH")
    r = idp.admin_initiate_auth(UserPoolId=pool, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": sh})
    check(r["AuthenticationResult"]["RefreshToken"], "AdminInitiateAuth")
    idp.revoke_token(Token=r["AuthenticationResult"]["RefreshToken"], ClientId=client_id, ClientSecret=client_secret)
    raises(ex.NotAuthorizedException, "NotAuthorizedException", idp.get_user,
           AccessToken=r["AuthenticationResult"]["AccessToken"])

    idp.admin_update_user_attributes(
        UserPoolId=pool, Username="alice",
        UserAttributes=[{"Name": "custom:tenant", "Value": "globex"}, {"Name": "name", "Value": "Alice A."}],
    )
    a = attrs(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserAttributes"])
    eq((a["custom:tenant"], a["name"], a["email"]), ("globex", "Alice A.", "alice@example.com"),
       "AdminUpdateUserAttributes")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.admin_update_user_attributes,
           UserPoolId=pool, Username="alice", UserAttributes=[{"Name": "custom:nope", "Value": "x"}])
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.admin_update_user_attributes,
           UserPoolId=pool, Username="alice", UserAttributes=[{"Name": "custom:tenant", "Value": "x" * 33}])

    idp.admin_disable_user(UserPoolId=pool, Username="bob")
    eq(idp.admin_get_user(UserPoolId=pool, Username="bob")["Enabled"], False, "AdminDisableUser")
    idp.admin_set_user_password(UserPoolId=pool, Username="bob", Password=PASSWORD, Permanent=True)
    e = raises(ex.NotAuthorizedException, "NotAuthorizedException", idp.initiate_auth,
               ClientId=public["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
               AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD})
    check("disabled" in e.response["Error"]["Message"], "disabled user's message")
    disabled = idp.list_users(UserPoolId=pool, Filter='status = "Disabled"')["Users"]
    eq([x["Username"] for x in disabled], ["bob"], "ListUsers status filter")
    idp.admin_enable_user(UserPoolId=pool, Username="bob")
    eq(idp.admin_get_user(UserPoolId=pool, Username="bob")["Enabled"], True, "AdminEnableUser")
    r = idp.initiate_auth(ClientId=public["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD})
    check(r["AuthenticationResult"]["IdToken"], "enabled user signs in with the public client")

    found = idp.list_users(UserPoolId=pool, Filter='email ^= "al"')["Users"]
    eq([x["Username"] for x in found], ["alice"], "email prefix filter")
    found = idp.list_users(UserPoolId=pool, Filter='username = "bob"')["Users"]
    eq([x["Username"] for x in found], ["bob"], "username filter")
    found = idp.list_users(UserPoolId=pool, Filter='email = "carol@example.net"', AttributesToGet=["email"])["Users"]
    eq([(x["Username"], x["Attributes"]) for x in found], [("carol", [{"Name": "email", "Value": "carol@example.net"}])],
       "exact filter with AttributesToGet")
    eq(idp.list_users(UserPoolId=pool, Filter='email ^= "zz"')["Users"], [], "no match")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.list_users,
           UserPoolId=pool, Filter="email ~ alice")

    everyone = {"alice", "bob", "carol", "dave", "erin"}
    seen, pages, token = [], 0, None
    while True:
        kw = {"UserPoolId": pool, "Limit": 2}
        if token:
            kw["PaginationToken"] = token
        page = idp.list_users(**kw)
        pages += 1
        check(len(page["Users"]) <= 2, "Limit honoured")
        seen += [x["Username"] for x in page["Users"]]
        token = page.get("PaginationToken")
        if not token:
            break
        check(pages < 10, "ListUsers pagination ends")
    eq(sorted(seen), sorted(everyone), "ListUsers pages cover every user exactly once")
    eq(pages, 3, "5 users at Limit=2 is 3 pages")
    via_paginator = [x["Username"] for x in idp.get_paginator("list_users").paginate(
        UserPoolId=pool, PaginationConfig={"PageSize": 2}).build_full_result()["Users"]]
    eq(sorted(via_paginator), sorted(everyone), "boto3 paginator over ListUsers")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.list_users,
           UserPoolId=pool, PaginationToken="forged-token")
    eq(idp.describe_user_pool(UserPoolId=pool)["UserPool"]["EstimatedNumberOfUsers"], 5, "EstimatedNumberOfUsers")

    # Email as username: the username becomes the sub, the email finds the user.
    ue = idp.admin_create_user(UserPoolId=email_pool, Username="zoe@example.com", MessageAction="SUPPRESS")["User"]
    eq(ue["Username"], attrs(ue["Attributes"])["sub"], "username is the sub when UsernameAttributes=email")
    eq(idp.admin_get_user(UserPoolId=email_pool, Username="zoe@example.com")["Username"], ue["Username"],
       "sign-in by email")
    raises(ex.UsernameExistsException, "UsernameExistsException", idp.admin_create_user,
           UserPoolId=email_pool, Username="zoe@example.com", MessageAction="SUPPRESS")
    raises(ex.InvalidParameterException, "InvalidParameterException", idp.admin_create_user,
           UserPoolId=email_pool, Username="zoe", MessageAction="SUPPRESS")

    # A verified email belongs to one user; ForceAliasCreation moves it and unverifies the old one.
    alias_pool = idp.create_user_pool(PoolName="boto-alias", AliasAttributes=["email"])["UserPool"]["Id"]
    all_pools.add(alias_pool)
    verified = [{"Name": "email", "Value": "sam@example.com"}, {"Name": "email_verified", "Value": "true"}]
    idp.admin_create_user(UserPoolId=alias_pool, Username="sam", MessageAction="SUPPRESS", UserAttributes=verified)
    raises(ex.AliasExistsException, "AliasExistsException", idp.admin_create_user,
           UserPoolId=alias_pool, Username="sammy", MessageAction="SUPPRESS", UserAttributes=verified)
    check(not idp.list_users(UserPoolId=alias_pool, Filter='username = "sammy"')["Users"], "no half-made user")
    idp.admin_create_user(UserPoolId=alias_pool, Username="sammy", MessageAction="SUPPRESS", UserAttributes=verified,
                          ForceAliasCreation=True)
    eq(idp.admin_get_user(UserPoolId=alias_pool, Username="sam@example.com")["Username"], "sammy",
       "ForceAliasCreation moves the alias")
    old = attrs(idp.admin_get_user(UserPoolId=alias_pool, Username="sam")["UserAttributes"])
    eq((old["email"], old["email_verified"]), ("sam@example.com", "false"), "previous holder is unverified")

    # --- Groups -----------------------------------------------------------------------------
    g = idp.create_group(UserPoolId=pool, GroupName="admins", Description="Administrators", Precedence=1)["Group"]
    eq((g["GroupName"], g["UserPoolId"], g["Description"], g["Precedence"]), ("admins", pool, "Administrators", 1),
       "CreateGroup")
    idp.create_group(UserPoolId=pool, GroupName="readers", Precedence=5)
    raises(ex.GroupExistsException, "GroupExistsException", idp.create_group, UserPoolId=pool, GroupName="admins")
    g = idp.update_group(UserPoolId=pool, GroupName="admins", Description="Admins", Precedence=1)["Group"]
    eq(g["Description"], "Admins", "UpdateGroup")
    g = idp.get_group(UserPoolId=pool, GroupName="admins")["Group"]
    eq((g["Description"], g["Precedence"]), ("Admins", 1), "GetGroup")
    check(hasattr(g["CreationDate"], "year"), "group dates parse")
    first = idp.list_groups(UserPoolId=pool, Limit=1)
    rest = idp.list_groups(UserPoolId=pool, Limit=1, NextToken=first["NextToken"])
    eq(sorted(x["GroupName"] for x in first["Groups"] + rest["Groups"]), ["admins", "readers"], "ListGroups pages")
    check("NextToken" not in rest, "last group page has no token")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="admins")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="alice", GroupName="readers")
    idp.admin_add_user_to_group(UserPoolId=pool, Username="bob", GroupName="readers")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.admin_add_user_to_group,
           UserPoolId=pool, Username="alice", GroupName="ghosts")
    raises(ex.UserNotFoundException, "UserNotFoundException", idp.admin_add_user_to_group,
           UserPoolId=pool, Username="nobody", GroupName="admins")
    groups = idp.admin_list_groups_for_user(UserPoolId=pool, Username="alice", Limit=10)["Groups"]
    eq(sorted(x["GroupName"] for x in groups), ["admins", "readers"], "AdminListGroupsForUser")
    members = idp.list_users_in_group(UserPoolId=pool, GroupName="readers", Limit=10)["Users"]
    eq(sorted(x["Username"] for x in members), ["alice", "bob"], "ListUsersInGroup")
    r = idp.initiate_auth(ClientId=public["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})
    id_claims = json.loads(base64.urlsafe_b64decode(r["AuthenticationResult"]["IdToken"].split(".")[1] + "=="))
    eq(id_claims.get("cognito:groups"), ["admins", "readers"], "groups in the ID token, by precedence")
    idp.admin_remove_user_from_group(UserPoolId=pool, Username="alice", GroupName="readers")
    groups = idp.admin_list_groups_for_user(UserPoolId=pool, Username="alice")["Groups"]
    eq([x["GroupName"] for x in groups], ["admins"], "AdminRemoveUserFromGroup")
    idp.delete_group(UserPoolId=pool, GroupName="readers")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.get_group,
           UserPoolId=pool, GroupName="readers")

    # --- Identity providers and linked identities -------------------------------------------
    gp = idp.create_identity_provider(
        UserPoolId=pool, ProviderName="Google", ProviderType="Google",
        ProviderDetails={"client_id": "google-client", "client_secret": "google-secret",
                         "authorize_scopes": "openid email profile"},
        AttributeMapping={"email": "email"}, IdpIdentifiers=["gmail.com"],
    )["IdentityProvider"]
    eq((gp["UserPoolId"], gp["ProviderName"], gp["ProviderType"]), (pool, "Google", "Google"),
       "CreateIdentityProvider")
    eq(gp["AttributeMapping"], {"email": "email", "username": "sub"}, "username mapped by default")
    check(hasattr(gp["CreationDate"], "year") and hasattr(gp["LastModifiedDate"], "year"), "provider dates parse")
    okta_details = {"client_id": "okta-client", "client_secret": "okta-secret", "authorize_scopes": "openid email",
                    "oidc_issuer": "https://okta.example.com", "attributes_request_method": "GET"}
    idp.create_identity_provider(UserPoolId=pool, ProviderName="Okta", ProviderType="OIDC",
                                 ProviderDetails=okta_details, IdpIdentifiers=["corp.example.com"])
    raises(ex.DuplicateProviderException, "DuplicateProviderException", idp.create_identity_provider,
           UserPoolId=pool, ProviderName="Okta", ProviderType="OIDC", ProviderDetails=okta_details)
    e = raises(ex.InvalidParameterException, "InvalidParameterException", idp.create_identity_provider,
               UserPoolId=pool, ProviderName="Corp", ProviderType="SAML",
               ProviderDetails={"MetadataURL": "https://corp.example.com/saml"})
    check("SAML" in e.response["Error"]["Message"], "unsupported type named")
    d = idp.describe_identity_provider(UserPoolId=pool, ProviderName="Google")["IdentityProvider"]
    eq(d["ProviderDetails"]["client_secret"], "google-secret", "DescribeIdentityProvider shows the secret")
    eq(d["ProviderDetails"]["authorize_url"], "https://accounts.google.com/o/oauth2/v2/auth", "Google defaults")
    eq(d["IdpIdentifiers"], ["gmail.com"], "IdpIdentifiers")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_identity_provider,
           UserPoolId=pool, ProviderName="Auth0")
    u = idp.update_identity_provider(UserPoolId=pool, ProviderName="Okta", AttributeMapping={"name": "name"},
                                     IdpIdentifiers=["okta.example.com"])["IdentityProvider"]
    eq(u["AttributeMapping"], {"name": "name", "username": "sub"}, "UpdateIdentityProvider mapping")
    eq(u["ProviderDetails"]["client_secret"], "okta-secret", "update keeps the secret")
    raises(ex.UnsupportedIdentityProviderException, "UnsupportedIdentityProviderException",
           idp.update_identity_provider, UserPoolId=pool, ProviderName="COGNITO", AttributeMapping={})
    found = idp.get_identity_provider_by_identifier(UserPoolId=pool, IdpIdentifier="okta.example.com")
    eq(found["IdentityProvider"]["ProviderName"], "Okta", "GetIdentityProviderByIdentifier")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.get_identity_provider_by_identifier,
           UserPoolId=pool, IdpIdentifier="corp.example.com")
    first = idp.list_identity_providers(UserPoolId=pool, MaxResults=1)
    rest = idp.list_identity_providers(UserPoolId=pool, MaxResults=1, NextToken=first["NextToken"])
    eq(sorted((p["ProviderName"], p["ProviderType"]) for p in first["Providers"] + rest["Providers"]),
       [("Google", "Google"), ("Okta", "OIDC")], "ListIdentityProviders pages")
    check("NextToken" not in rest, "last provider page has no token")
    check(hasattr(first["Providers"][0]["CreationDate"], "year"), "ProviderDescription dates parse")
    via_paginator = idp.get_paginator("list_identity_providers").paginate(
        UserPoolId=pool, PaginationConfig={"PageSize": 1}).build_full_result()["Providers"]
    eq(sorted(p["ProviderName"] for p in via_paginator), ["Google", "Okta"], "boto3 paginator over providers")

    fed = idp.create_user_pool_client(UserPoolId=pool, ClientName="fed",
                                      SupportedIdentityProviders=["COGNITO", "Google"])["UserPoolClient"]
    eq(fed["SupportedIdentityProviders"], ["COGNITO", "Google"], "a client offers the pool's provider")
    e = raises(ex.InvalidParameterException, "InvalidParameterException", idp.create_user_pool_client,
               UserPoolId=pool, ClientName="bad", SupportedIdentityProviders=["Auth0"])
    eq(e.response["Error"]["Message"], f"The provider Auth0 does not exist for User Pool {pool}", "unknown provider")

    def cognito_user(name):
        return {"ProviderName": "Cognito", "ProviderAttributeValue": name}

    def upstream(provider, sub):
        return {"ProviderName": provider, "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": sub}

    idp.admin_link_provider_for_user(UserPoolId=pool, DestinationUser=cognito_user("alice"),
                                     SourceUser=upstream("Google", "1001"))
    linked = json.loads(attrs(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserAttributes"])["identities"])
    eq([(i["providerName"], i["providerType"], i["userId"], i["primary"]) for i in linked],
       [("Google", "Google", "1001", "false")], "identities attribute after AdminLinkProviderForUser")
    raises(ex.AliasExistsException, "AliasExistsException", idp.admin_link_provider_for_user,
           UserPoolId=pool, DestinationUser=cognito_user("bob"), SourceUser=upstream("Google", "1001"))
    raises(ex.UserNotFoundException, "UserNotFoundException", idp.admin_link_provider_for_user,
           UserPoolId=pool, DestinationUser=cognito_user("nobody"), SourceUser=upstream("Okta", "2002"))
    idp.admin_disable_provider_for_user(UserPoolId=pool, User=upstream("Google", "1001"))
    check("identities" not in attrs(idp.admin_get_user(UserPoolId=pool, Username="alice")["UserAttributes"]),
          "AdminDisableProviderForUser unlinks")

    idp.delete_identity_provider(UserPoolId=pool, ProviderName="Google")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_identity_provider,
           UserPoolId=pool, ProviderName="Google")
    fed = idp.describe_user_pool_client(UserPoolId=pool, ClientId=fed["ClientId"])["UserPoolClient"]
    eq(fed["SupportedIdentityProviders"], ["COGNITO"], "a deleted provider leaves the clients")

    # --- Deletions --------------------------------------------------------------------------
    idp.admin_delete_user(UserPoolId=pool, Username="dave")
    raises(ex.UserNotFoundException, "UserNotFoundException", idp.admin_get_user, UserPoolId=pool, Username="dave")
    idp.delete_user_pool_client(UserPoolId=pool, ClientId=public["ClientId"])
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_user_pool_client,
           UserPoolId=pool, ClientId=public["ClientId"])
    idp.delete_resource_server(UserPoolId=pool, Identifier="https://billing.example.com")
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_resource_server,
           UserPoolId=pool, Identifier="https://billing.example.com")

    # --- Credentials as AWS checks them -----------------------------------------------------
    bad = client(secret="wrong/secret+key000000000000000000000000")
    e = raises(ClientError, "InvalidSignatureException", bad.list_user_pools, MaxResults=1)
    eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 400, "InvalidSignatureException status")
    unknown = client(key="AKIAUNKNOWNKEY000000")
    e = raises(ClientError, "UnrecognizedClientException", unknown.describe_user_pool, UserPoolId=pool)
    eq(e.response["ResponseMetadata"]["HTTPStatusCode"], 400, "UnrecognizedClientException status")
    # The unsigned action does not care about the (wrong) key.
    cli = idp.create_user_pool_client(UserPoolId=pool, ClientName="cli",
                                      ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    r = bad.initiate_auth(ClientId=cli, AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD})
    check(r["AuthenticationResult"]["AccessToken"], "unsigned InitiateAuth with any key")

    # --- Tear down --------------------------------------------------------------------------
    idp.update_user_pool(UserPoolId=pool, DeletionProtection="INACTIVE", AutoVerifiedAttributes=["email"])
    for p in sorted(all_pools):
        idp.delete_user_pool(UserPoolId=p)
    raises(ex.ResourceNotFoundException, "ResourceNotFoundException", idp.describe_user_pool, UserPoolId=pool)
    left = {p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
    check(not (left & all_pools), f"deleted pools are gone: {left & all_pools}")

    ok_ops = sorted({op for op, status in calls if status == 200})
    print(json.dumps({
        "boto3": boto3.__version__,
        "botocore": botocore.__version__,
        "calls": len(calls),
        "operations": ok_ops,
        "errors": {op: sorted(set(codes)) for op, codes in sorted(errors.items())},
        "server_errors": [op for op, status in calls if status >= 500],
        "signing": {op: sorted(how) for op, how in sorted(signed.items())},
    }))


if __name__ == "__main__":
    main()
