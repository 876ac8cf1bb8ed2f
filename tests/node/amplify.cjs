#!/usr/bin/env node
// Amplify JS v6 (`aws-amplify/auth`) in Node against Portcullis, configured with the pool's
// `userPoolEndpoint`: signIn (SRP by default), fetchAuthSession({ forceRefresh: true }) on a
// client without and one with refresh-token rotation, signOut, updatePassword,
// updateUserAttributes, sendUserAttributeVerificationCode and confirmUserAttribute with the
// mailed code, fetchUserAttributes, deleteUserAttributes, signOut({ global: true }) and
// deleteUser.
//
// In Node Amplify keeps tokens in memory (there is no localStorage); the script gives the token
// provider its own in-memory key-value storage so it can see which refresh token Amplify holds.
// The global fetch is wrapped (not Amplify) to record every request: all must go to the
// endpoint, and the summary lists the operations Amplify called.
//
// Usage: node amplify.cjs ENDPOINT_URL   (aws-amplify from NODE_PATH)
// Env:   AMP_POOL, AMP_CLIENT (no secret, SRP, no rotation), AMP_ROTATING_CLIENT (no secret, SRP,
//        RefreshTokenRotation with a grace period of 0), AMP_USER, AMP_PASSWORD, AMP_NEW_PASSWORD,
//        AMP_EMAIL (the user's verified e-mail), AMP_NEW_EMAIL, AMP_DELETABLE (an attribute the user
//        has and may delete).
// Mailed codes: the script prints `CODE? ADDRESS` on a line of its own and reads the code of the
// next message to ADDRESS from a line of stdin (the test reads the mail and answers).
// Exits non-zero on any mismatch; on success the last line of stdout is a JSON summary.
"use strict";
const readline = require("node:readline");

const endpoint = process.argv[2];
const env = process.env;

// Every request Amplify makes, as "Operation" or "InitiateAuth:FLOW".
const operations = [];
const strayRequests = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = input instanceof URL ? input.href : typeof input === "string" ? input : input.url;
  if (!url.startsWith(endpoint)) {
    strayRequests.push(url);
  }
  const headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
  const target = (headers.get("x-amz-target") || "").split(".").pop();
  let name = target || url;
  if (target === "InitiateAuth" && init && typeof init.body === "string") {
    name += ":" + JSON.parse(init.body).AuthFlow;
  }
  operations.push(name);
  return realFetch(input, init);
};

const { Amplify } = require("aws-amplify");
const auth = require("aws-amplify/auth");
const { cognitoUserPoolsTokenProvider } = require("aws-amplify/auth/cognito");

const stdinLines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// The token provider's storage (Amplify's KeyValueStorageInterface), kept in a Map.
const stored = new Map();
const storage = {
  setItem: async (key, value) => void stored.set(key, value),
  getItem: async (key) => (stored.has(key) ? stored.get(key) : null),
  removeItem: async (key) => void stored.delete(key),
  clear: async () => stored.clear(),
};

function configure(clientId) {
  Amplify.configure({
    Auth: { Cognito: { userPoolId: env.AMP_POOL, userPoolClientId: clientId, userPoolEndpoint: endpoint } },
  });
  cognitoUserPoolsTokenProvider.setKeyValueStorage(storage);
}

// The refresh token Amplify holds for the configured client (its storage key ends so).
function heldRefreshToken(clientId) {
  const keys = [...stored.keys()].filter((k) => k.includes("." + clientId + ".") && k.endsWith(".refreshToken"));
  check(keys.length <= 1, "several refresh tokens held: " + keys);
  return keys.length ? stored.get(keys[0]) : undefined;
}

function check(cond, what) {
  if (!cond) {
    console.error("FAILED: " + what);
    process.exit(1);
  }
}

function describe(err) {
  return JSON.stringify(err && { name: err.name, message: err.message });
}

async function outcome(promise) {
  try {
    return { value: await promise };
  } catch (err) {
    return { err };
  }
}

async function mailedCode(address) {
  console.log("CODE? " + address);
  const next = await stdinLines.next();
  check(!next.done, "no code on stdin for " + address);
  return next.value.trim();
}

async function signIn(password) {
  const r = await outcome(auth.signIn({ username: env.AMP_USER, password }));
  if (r.err) {
    return r;
  }
  check(r.value.isSignedIn && r.value.nextStep.signInStep === "DONE", "signIn: " + JSON.stringify(r.value));
  return r;
}

async function tokens(options) {
  const session = await auth.fetchAuthSession(options);
  check(session.tokens && session.tokens.accessToken, "no tokens in the session: " + JSON.stringify(session));
  return session.tokens;
}

// The raw GetUser answer for an access token, to see what the server says of a token Amplify
// no longer holds.
async function getUserWith(accessToken) {
  const r = await realFetch(endpoint + "/", {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSCognitoIdentityProviderService.GetUser",
    },
    body: JSON.stringify({ AccessToken: accessToken }),
  });
  return { status: r.status, body: await r.json() };
}

(async () => {
  const passed = [];

  // A client without rotation: signIn (SRP), a forced refresh keeps the refresh token.
  configure(env.AMP_CLIENT);
  const first = await signIn(env.AMP_PASSWORD);
  check(!first.err, "signIn: " + describe(first.err));
  check(operations.includes("InitiateAuth:USER_SRP_AUTH"), "signIn did not use SRP: " + operations);
  const current = await auth.getCurrentUser();
  check(current.username === env.AMP_USER, "getCurrentUser: " + JSON.stringify(current));
  const t0 = await tokens();
  check(t0.accessToken.payload.username === env.AMP_USER, "access token username " + t0.accessToken.payload.username);
  check(t0.idToken && t0.idToken.payload["cognito:username"] === env.AMP_USER, "id token");
  check(t0.accessToken.payload.sub === current.userId, "userId is not the token's sub");
  passed.push("sign-in");

  const rt0 = heldRefreshToken(env.AMP_CLIENT);
  check(rt0, "Amplify holds no refresh token");
  const refreshCalls = operations.length;
  const t1 = await tokens({ forceRefresh: true });
  check(t1.accessToken.toString() !== t0.accessToken.toString(), "forceRefresh kept the old access token");
  check(t1.accessToken.payload.sub === t0.accessToken.payload.sub, "the refreshed token is another user's");
  check(heldRefreshToken(env.AMP_CLIENT) === rt0, "a client without rotation changed the refresh token");
  const refreshedWith = operations.slice(refreshCalls);
  check(refreshedWith.length === 1, "forceRefresh made these calls: " + refreshedWith);
  passed.push("refresh without rotation");

  // signOut (local) revokes the refresh token: the server refuses it afterwards.
  await auth.signOut();
  check(heldRefreshToken(env.AMP_CLIENT) === undefined, "signOut left the refresh token");
  const afterSignOut = await auth.fetchAuthSession();
  check(!afterSignOut.tokens, "signOut left tokens");
  check(operations.includes("RevokeToken"), "signOut did not call RevokeToken: " + operations);
  passed.push("sign-out");

  // A rotating client: each forced refresh brings and keeps a new refresh token; with no grace
  // period the second refresh would fail had Amplify kept the replaced one.
  configure(env.AMP_ROTATING_CLIENT);
  const rotating = await signIn(env.AMP_PASSWORD);
  check(!rotating.err, "signIn on the rotating client: " + describe(rotating.err));
  let previousAccess = (await tokens()).accessToken.toString();
  let previousRefresh = heldRefreshToken(env.AMP_ROTATING_CLIENT);
  check(previousRefresh, "Amplify holds no refresh token for the rotating client");
  for (let i = 0; i < 2; i++) {
    const t = await tokens({ forceRefresh: true });
    const held = heldRefreshToken(env.AMP_ROTATING_CLIENT);
    check(t.accessToken.toString() !== previousAccess, "refresh " + i + " kept the access token");
    check(held && held !== previousRefresh, "refresh " + i + " did not rotate the refresh token");
    previousAccess = t.accessToken.toString();
    previousRefresh = held;
  }
  passed.push("refresh with rotation");

  // updatePassword, then only the new password signs in.
  const wrongOld = await outcome(
    auth.updatePassword({ oldPassword: env.AMP_PASSWORD + "x", newPassword: env.AMP_NEW_PASSWORD }),
  );
  check(
    wrongOld.err && wrongOld.err.name === "NotAuthorizedException",
    "a wrong old password: " + describe(wrongOld.err),
  );
  const changed = await outcome(
    auth.updatePassword({ oldPassword: env.AMP_PASSWORD, newPassword: env.AMP_NEW_PASSWORD }),
  );
  check(!changed.err, "updatePassword: " + describe(changed.err));
  await auth.signOut();
  const withOld = await signIn(env.AMP_PASSWORD);
  check(withOld.err && withOld.err.name === "NotAuthorizedException", "the old password: " + describe(withOld.err));
  const withNew = await signIn(env.AMP_NEW_PASSWORD);
  check(!withNew.err, "signIn with the new password: " + describe(withNew.err));
  passed.push("update password");

  // updateUserAttributes: the new e-mail waits for its code, the old one stays verified.
  const before = await auth.fetchUserAttributes();
  check(before.email === env.AMP_EMAIL && before.email_verified === "true", "before: " + JSON.stringify(before));
  check(before[env.AMP_DELETABLE] !== undefined, "no " + env.AMP_DELETABLE + ": " + JSON.stringify(before));
  const updated = await auth.updateUserAttributes({ userAttributes: { email: env.AMP_NEW_EMAIL } });
  const step = updated.email && updated.email.nextStep;
  check(
    updated.email.isUpdated === false &&
      step.updateAttributeStep === "CONFIRM_ATTRIBUTE_WITH_CODE" &&
      step.codeDeliveryDetails.deliveryMedium === "EMAIL" &&
      step.codeDeliveryDetails.attributeName === "email" &&
      typeof step.codeDeliveryDetails.destination === "string",
    "updateUserAttributes: " + JSON.stringify(updated),
  );
  const pending = await auth.fetchUserAttributes();
  check(
    pending.email === env.AMP_EMAIL && pending.email_verified === "true",
    "the old e-mail should stay until verified: " + JSON.stringify(pending),
  );
  passed.push("update attributes keeps the old e-mail");

  // sendUserAttributeVerificationCode mails a new code to the address still waiting; that one
  // confirms it.
  const resent = await auth.sendUserAttributeVerificationCode({ userAttributeKey: "email" });
  check(
    resent.attributeName === "email" && resent.deliveryMedium === "EMAIL",
    "sendUserAttributeVerificationCode: " + JSON.stringify(resent),
  );
  await mailedCode(env.AMP_NEW_EMAIL);
  const code = await mailedCode(env.AMP_NEW_EMAIL);
  check(/^\d{6}$/.test(code), "a six-digit code: " + code);
  passed.push("resend code");
  const wrong = code === "000000" ? "111111" : "000000";
  const mismatch = await outcome(auth.confirmUserAttribute({ userAttributeKey: "email", confirmationCode: wrong }));
  check(mismatch.err && mismatch.err.name === "CodeMismatchException", "a wrong code: " + describe(mismatch.err));
  const confirmed = await outcome(auth.confirmUserAttribute({ userAttributeKey: "email", confirmationCode: code }));
  check(!confirmed.err, "confirmUserAttribute: " + describe(confirmed.err));
  const after = await auth.fetchUserAttributes();
  check(after.email === env.AMP_NEW_EMAIL && after.email_verified === "true", "after: " + JSON.stringify(after));
  passed.push("confirm attribute");

  await auth.deleteUserAttributes({ userAttributeKeys: [env.AMP_DELETABLE] });
  const remaining = await auth.fetchUserAttributes();
  check(remaining[env.AMP_DELETABLE] === undefined, "still there: " + JSON.stringify(remaining));
  check(remaining.email === env.AMP_NEW_EMAIL, "the e-mail went too: " + JSON.stringify(remaining));
  passed.push("delete attributes");

  // signOut({ global: true }): Amplify forgets the tokens and the server refuses the old ones.
  // (Amplify swallows a failed GlobalSignOut, so the server's answer is what proves it.)
  const held = await tokens();
  const heldRefresh = heldRefreshToken(env.AMP_ROTATING_CLIENT);
  const before200 = await getUserWith(held.accessToken.toString());
  check(before200.status === 200, "GetUser before the global sign-out: " + JSON.stringify(before200));
  await auth.signOut({ global: true });
  check(operations.includes("GlobalSignOut"), "signOut({ global: true }) did not call GlobalSignOut: " + operations);
  check(!(await auth.fetchAuthSession()).tokens, "the global sign-out left tokens");
  const refused = await getUserWith(held.accessToken.toString());
  check(
    refused.status === 400 && refused.body.__type === "NotAuthorizedException",
    "the old access token after the global sign-out: " + JSON.stringify(refused),
  );
  const staleRefresh = await realFetch(endpoint + "/", {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken",
    },
    body: JSON.stringify({ ClientId: env.AMP_ROTATING_CLIENT, RefreshToken: heldRefresh }),
  });
  const staleBody = await staleRefresh.json();
  check(staleBody.__type === "NotAuthorizedException", "the old refresh token: " + JSON.stringify(staleBody));
  passed.push("global sign-out");

  // deleteUser: signed in afresh, the user deletes itself and can no longer sign in.
  const last = await signIn(env.AMP_NEW_PASSWORD);
  check(!last.err, "signIn before deleteUser: " + describe(last.err));
  const gone = await outcome(auth.deleteUser());
  check(!gone.err, "deleteUser: " + describe(gone.err));
  check(!(await auth.fetchAuthSession()).tokens, "deleteUser left tokens");
  const afterDelete = await signIn(env.AMP_NEW_PASSWORD);
  check(afterDelete.err, "a deleted user signed in");
  passed.push("delete user");

  check(strayRequests.length === 0, "requests beside the endpoint: " + strayRequests);
  const refreshCallsMade = [
    ...new Set(operations.filter((o) => o.startsWith("GetTokensFromRefreshToken") || o.includes("REFRESH"))),
  ];
  console.log(
    JSON.stringify({
      passed,
      refreshCalls: refreshCallsMade,
      deletedSignIn: afterDelete.err.name,
      operations: [...new Set(operations)],
    }),
  );
  process.exit(0);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
