#!/usr/bin/env node
// A signed-in user's own profile through amazon-cognito-identity-js against Portcullis: SRP
// sign-in, refreshSession (REFRESH_TOKEN_AUTH), changePassword, updateAttributes of an e-mail
// that must be verified before it replaces the old one, verifyAttribute with the mailed code,
// deleteAttributes, globalSignOut and deleteUser, each checked through the library's own calls.
//
// Usage: node profile.cjs ENDPOINT_URL   (the library from NODE_PATH)
// Env:   PROFILE_POOL, PROFILE_CLIENT (no secret; SRP and REFRESH_TOKEN_AUTH allowed, no rotation),
//        PROFILE_USER, PROFILE_PASSWORD, PROFILE_NEW_PASSWORD, PROFILE_EMAIL (the user's verified
//        e-mail), PROFILE_NEW_EMAIL, PROFILE_DELETABLE (an attribute the user has and may delete).
// Mailed codes: the script prints `CODE? ADDRESS` on a line of its own and reads the code of the
// next message to ADDRESS from a line of stdin (the test reads the mail and answers).
// Exits non-zero on any mismatch; on success the last line of stdout is a JSON summary.
"use strict";
const readline = require("node:readline");
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require("amazon-cognito-identity-js");

const endpoint = process.argv[2];
const env = process.env;
const pool = new CognitoUserPool({ UserPoolId: env.PROFILE_POOL, ClientId: env.PROFILE_CLIENT, endpoint });
const stdinLines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

function check(cond, what) {
  if (!cond) {
    console.error("FAILED: " + what);
    process.exit(1);
  }
}

function describe(err) {
  return JSON.stringify(err && { code: err.code, name: err.name, message: err.message });
}

async function mailedCode(address) {
  console.log("CODE? " + address);
  const next = await stdinLines.next();
  check(!next.done, "no code on stdin for " + address);
  return next.value.trim();
}

function signIn(password) {
  const user = new CognitoUser({ Username: env.PROFILE_USER, Pool: pool });
  user.setAuthenticationFlowType("USER_SRP_AUTH");
  const details = new AuthenticationDetails({ Username: env.PROFILE_USER, Password: password });
  return new Promise((resolve) => {
    user.authenticateUser(details, {
      onSuccess: (session) => resolve({ ok: true, user, session }),
      onFailure: (err) => resolve({ ok: false, err }),
      newPasswordRequired: () => resolve({ ok: false, err: { code: "NEW_PASSWORD_REQUIRED" } }),
      totpRequired: () => resolve({ ok: false, err: { code: "SOFTWARE_TOKEN_MFA" } }),
      mfaRequired: () => resolve({ ok: false, err: { code: "SMS_MFA" } }),
    });
  });
}

// A node-style callback API as a promise of { err, value, extra }.
function call(fn) {
  return new Promise((resolve) => fn((err, value, extra) => resolve({ err, value, extra })));
}

// A { onSuccess, onFailure } callback API as a promise of { err, value }.
function callMap(fn) {
  return new Promise((resolve) =>
    fn({ onSuccess: (value) => resolve({ err: null, value }), onFailure: (err) => resolve({ err, value: null }) }),
  );
}

async function attributes(user) {
  const r = await call((cb) => user.getUserAttributes(cb));
  check(!r.err, "getUserAttributes: " + describe(r.err));
  return Object.fromEntries(r.value.map((a) => [a.getName(), a.getValue()]));
}

(async () => {
  const passed = [];

  // Sign in with SRP.
  const first = await signIn(env.PROFILE_PASSWORD);
  check(first.ok, "sign-in: " + describe(first.err));
  const user = first.user;
  const access0 = first.session.getAccessToken();
  check(
    access0.decodePayload().username === env.PROFILE_USER,
    "access token username " + access0.decodePayload().username,
  );
  passed.push("sign-in");

  // refreshSession: REFRESH_TOKEN_AUTH with the session's refresh token.
  const refreshed = await call((cb) => user.refreshSession(first.session.getRefreshToken(), cb));
  check(!refreshed.err, "refreshSession: " + describe(refreshed.err));
  const access1 = refreshed.value.getAccessToken();
  check(access1.getJwtToken() !== access0.getJwtToken(), "the refreshed access token is the old one");
  check(access1.decodePayload().sub === access0.decodePayload().sub, "the refreshed token is another user's");
  check(
    access1.decodePayload().username === env.PROFILE_USER,
    "refreshed username " + access1.decodePayload().username,
  );
  check(
    refreshed.value.getIdToken().decodePayload()["cognito:username"] === env.PROFILE_USER,
    "refreshed id token " + JSON.stringify(refreshed.value.getIdToken().decodePayload()),
  );
  check(user.getSignInUserSession() === refreshed.value, "the user does not hold the refreshed session");
  passed.push("refresh session");

  // changePassword, then only the new password signs in.
  const wrongOld = await call((cb) => user.changePassword(env.PROFILE_PASSWORD + "x", env.PROFILE_NEW_PASSWORD, cb));
  check(
    wrongOld.err && wrongOld.err.code === "NotAuthorizedException",
    "a wrong old password: " + describe(wrongOld.err),
  );
  const changed = await call((cb) => user.changePassword(env.PROFILE_PASSWORD, env.PROFILE_NEW_PASSWORD, cb));
  check(!changed.err && changed.value === "SUCCESS", "changePassword: " + describe(changed.err));
  const withNew = await signIn(env.PROFILE_NEW_PASSWORD);
  check(withNew.ok, "sign-in with the new password: " + describe(withNew.err));
  const withOld = await signIn(env.PROFILE_PASSWORD);
  check(!withOld.ok && withOld.err.code === "NotAuthorizedException", "the old password: " + describe(withOld.err));
  passed.push("change password");

  // updateAttributes: the new e-mail waits for its code; the old one stays, verified.
  const before = await attributes(user);
  check(before.email === env.PROFILE_EMAIL && before.email_verified === "true", "before: " + JSON.stringify(before));
  check(before[env.PROFILE_DELETABLE] !== undefined, "no " + env.PROFILE_DELETABLE + ": " + JSON.stringify(before));
  const updated = await call((cb) => user.updateAttributes([{ Name: "email", Value: env.PROFILE_NEW_EMAIL }], cb));
  check(!updated.err && updated.value === "SUCCESS", "updateAttributes: " + describe(updated.err));
  const delivery = (updated.extra && updated.extra.CodeDeliveryDetailsList) || [];
  check(
    delivery.length === 1 && delivery[0].AttributeName === "email" && delivery[0].DeliveryMedium === "EMAIL",
    "code delivery: " + JSON.stringify(updated.extra),
  );
  const pending = await attributes(user);
  check(
    pending.email === env.PROFILE_EMAIL && pending.email_verified === "true",
    "the old e-mail should stay until verified: " + JSON.stringify(pending),
  );
  passed.push("update attributes keeps the old e-mail");

  // verifyAttribute: a wrong code is refused, the mailed one moves the e-mail.
  const code = await mailedCode(env.PROFILE_NEW_EMAIL);
  check(/^\d{6}$/.test(code), "a six-digit code: " + code);
  const wrong = code === "000000" ? "111111" : "000000";
  const mismatch = await callMap((cb) => user.verifyAttribute("email", wrong, cb));
  check(mismatch.err && mismatch.err.code === "CodeMismatchException", "a wrong code: " + describe(mismatch.err));
  const verified = await callMap((cb) => user.verifyAttribute("email", code, cb));
  check(!verified.err && verified.value === "SUCCESS", "verifyAttribute: " + describe(verified.err));
  const after = await attributes(user);
  check(after.email === env.PROFILE_NEW_EMAIL && after.email_verified === "true", "after: " + JSON.stringify(after));
  passed.push("verify attribute");

  // deleteAttributes on an optional attribute.
  const deleted = await call((cb) => user.deleteAttributes([env.PROFILE_DELETABLE], cb));
  check(!deleted.err && deleted.value === "SUCCESS", "deleteAttributes: " + describe(deleted.err));
  const remaining = await attributes(user);
  check(remaining[env.PROFILE_DELETABLE] === undefined, "still there: " + JSON.stringify(remaining));
  check(remaining.email === env.PROFILE_NEW_EMAIL, "the e-mail went too: " + JSON.stringify(remaining));
  passed.push("delete attributes");

  // globalSignOut: the old session's tokens are refused from then on.
  const session = user.getSignInUserSession();
  const out = await callMap((cb) => user.globalSignOut(cb));
  check(!out.err && out.value === "SUCCESS", "globalSignOut: " + describe(out.err));
  const stale = new CognitoUser({ Username: env.PROFILE_USER, Pool: pool });
  stale.setSignInUserSession(session);
  const data = await call((cb) => stale.getUserData(cb, { bypassCache: true }));
  check(data.err && data.err.code === "NotAuthorizedException", "getUserData after sign-out: " + describe(data.err));
  stale.setSignInUserSession(session);
  const attrs = await call((cb) => stale.getUserAttributes(cb));
  check(
    attrs.err && attrs.err.code === "NotAuthorizedException",
    "getUserAttributes after sign-out: " + describe(attrs.err),
  );
  // (Not refreshSession: the library retries a refused refresh with back-off for some six seconds;
  // the refresh token's end is tested in users.rs and, through Amplify, in amplify.cjs.)
  passed.push("global sign-out");

  // deleteUser: signed in afresh, the user deletes itself and can no longer sign in.
  const last = await signIn(env.PROFILE_NEW_PASSWORD);
  check(last.ok, "sign-in before deleteUser: " + describe(last.err));
  const gone = await call((cb) => last.user.deleteUser(cb));
  check(!gone.err && gone.value === "SUCCESS", "deleteUser: " + describe(gone.err));
  const afterDelete = await signIn(env.PROFILE_NEW_PASSWORD);
  check(!afterDelete.ok, "a deleted user signed in");
  check(
    ["UserNotFoundException", "NotAuthorizedException"].includes(afterDelete.err.code),
    "sign-in after deleteUser: " + describe(afterDelete.err),
  );
  passed.push("delete user");

  console.log(JSON.stringify({ passed, deletedSignIn: afterDelete.err.code }));
  process.exit(0);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
