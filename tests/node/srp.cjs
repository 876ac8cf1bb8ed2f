#!/usr/bin/env node
// Sign in to Portcullis with USER_SRP_AUTH through amazon-cognito-identity-js
// (CognitoUser.authenticateUser, the library's own SRP client) with the pool's `endpoint` set to
// the server.
//
// Usage: node srp.cjs ENDPOINT_URL   (the library from NODE_PATH)
// Env:   SRP_POOL, SRP_CLIENT (no secret, USER_SRP_AUTH allowed), SRP_USER, SRP_PASSWORD.
// Exits non-zero on any mismatch; on success the last line of stdout is a JSON summary.
"use strict";
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require("amazon-cognito-identity-js");

const endpoint = process.argv[2];
const env = process.env;
const pool = new CognitoUserPool({ UserPoolId: env.SRP_POOL, ClientId: env.SRP_CLIENT, endpoint });

function signIn(username, password) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  user.setAuthenticationFlowType("USER_SRP_AUTH");
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return new Promise((resolve) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ ok: true, session }),
      onFailure: (err) => resolve({ ok: false, err }),
      newPasswordRequired: () => resolve({ ok: false, err: { code: "NEW_PASSWORD_REQUIRED" } }),
      totpRequired: () => resolve({ ok: false, err: { code: "SOFTWARE_TOKEN_MFA" } }),
      mfaRequired: () => resolve({ ok: false, err: { code: "SMS_MFA" } }),
    });
  });
}

function check(cond, what) {
  if (!cond) {
    console.error("FAILED: " + what);
    process.exit(1);
  }
}

(async () => {
  const passed = [];
  const good = await signIn(env.SRP_USER, env.SRP_PASSWORD);
  check(good.ok, "sign-in: " + JSON.stringify(good.err && { code: good.err.code, message: good.err.message }));
  const access = good.session.getAccessToken().decodePayload();
  check(access.username === env.SRP_USER, "access token username " + access.username);
  check(good.session.getIdToken().decodePayload()["cognito:username"] === env.SRP_USER, "id token");
  check(good.session.getRefreshToken().getToken().length > 0, "refresh token");
  passed.push("tokens");

  const bad = await signIn(env.SRP_USER, env.SRP_PASSWORD + "x");
  check(!bad.ok && bad.err.code === "NotAuthorizedException", "wrong password: " + JSON.stringify(bad.err));
  check(bad.err.message === "Incorrect username or password.", "message: " + bad.err.message);
  passed.push("wrong password refused");

  console.log(JSON.stringify({ passed }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
