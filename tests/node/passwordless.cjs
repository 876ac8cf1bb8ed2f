#!/usr/bin/env node
// Amplify JS v6 (`aws-amplify/auth`) signs in with USER_AUTH against Portcullis: EMAIL_OTP as the
// preferred challenge (CONFIRM_SIGN_IN_WITH_EMAIL_CODE, a wrong code, then the mailed one), the
// first-factor selection (CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION, then EMAIL_OTP), and
// PASSWORD as the preferred challenge; signOut between them.
//
// Usage: node passwordless.cjs ENDPOINT_URL   (aws-amplify from NODE_PATH)
// Env:   PWL_POOL, PWL_CLIENT (no secret, ALLOW_USER_AUTH), PWL_USER, PWL_PASSWORD, PWL_EMAIL (the
//        user's verified e-mail).
// Mailed codes: the script prints `CODE? ADDRESS` on a line of its own and reads the code of the
// next message to ADDRESS from a line of stdin (the test reads the mail and answers).
// Exits non-zero on any mismatch; on success the last line of stdout is a JSON summary.
"use strict";
const readline = require("node:readline");

const endpoint = process.argv[2];
const env = process.env;

const { Amplify } = require("aws-amplify");
const auth = require("aws-amplify/auth");
const { cognitoUserPoolsTokenProvider } = require("aws-amplify/auth/cognito");

const stdinLines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const stored = new Map();
cognitoUserPoolsTokenProvider.setKeyValueStorage({
  setItem: async (key, value) => void stored.set(key, value),
  getItem: async (key) => (stored.has(key) ? stored.get(key) : null),
  removeItem: async (key) => void stored.delete(key),
  clear: async () => stored.clear(),
});
Amplify.configure({
  Auth: { Cognito: { userPoolId: env.PWL_POOL, userPoolClientId: env.PWL_CLIENT, userPoolEndpoint: endpoint } },
});

function check(cond, what) {
  if (!cond) {
    console.error("FAILED: " + what);
    process.exit(1);
  }
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

async function signedInAsUser(what) {
  const session = await auth.fetchAuthSession();
  const access = session.tokens && session.tokens.accessToken;
  check(access && access.payload.username === env.PWL_USER, what + ": tokens " + JSON.stringify(session.tokens));
}

(async () => {
  const passed = [];
  const userAuth = (extra) => ({ username: env.PWL_USER, options: { authFlowType: "USER_AUTH", ...extra } });

  // EMAIL_OTP preferred: a code, a wrong one refused, the mailed one accepted.
  let r = await auth.signIn(userAuth({ preferredChallenge: "EMAIL_OTP" }));
  check(r.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", "email code step: " + JSON.stringify(r));
  const delivery = r.nextStep.codeDeliveryDetails || {};
  check(delivery.deliveryMedium === "EMAIL", "delivery: " + JSON.stringify(delivery));
  const code = await mailedCode(env.PWL_EMAIL);
  const wrong = await outcome(auth.confirmSignIn({ challengeResponse: code === "000000" ? "111111" : "000000" }));
  check(wrong.err && wrong.err.name === "CodeMismatchException", "wrong code: " + JSON.stringify(wrong));
  r = await auth.confirmSignIn({ challengeResponse: code });
  check(r.isSignedIn && r.nextStep.signInStep === "DONE", "signed in by code: " + JSON.stringify(r));
  await signedInAsUser("email code");
  await auth.signOut();
  passed.push("email code preferred");

  // No preference: Amplify offers the server's choice, and EMAIL_OTP is chosen.
  r = await auth.signIn(userAuth({}));
  check(r.nextStep.signInStep === "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION", "selection step: " + JSON.stringify(r));
  const offered = r.nextStep.availableChallenges || [];
  check(JSON.stringify(offered) === '["PASSWORD","PASSWORD_SRP","EMAIL_OTP"]', "offered: " + JSON.stringify(offered));
  r = await auth.confirmSignIn({ challengeResponse: "EMAIL_OTP" });
  check(r.nextStep.signInStep === "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", "after choosing: " + JSON.stringify(r));
  r = await auth.confirmSignIn({ challengeResponse: await mailedCode(env.PWL_EMAIL) });
  check(r.isSignedIn, "signed in after choosing: " + JSON.stringify(r));
  await signedInAsUser("first factor selection");
  await auth.signOut();
  passed.push("first factor selection");

  // PASSWORD preferred: the password in the first request, no challenge.
  r = await auth.signIn({ ...userAuth({ preferredChallenge: "PASSWORD" }), password: env.PWL_PASSWORD });
  check(r.isSignedIn && r.nextStep.signInStep === "DONE", "password: " + JSON.stringify(r));
  await signedInAsUser("password");
  await auth.signOut();
  passed.push("password preferred");

  console.log(JSON.stringify({ passed }));
  // stdin stays open (the test answers codes on it): leave without waiting for it.
  process.exit(0);
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
