#!/usr/bin/env node
// CUSTOM_AUTH through amazon-cognito-identity-js: CognitoUser.initiateAuth (no password), then
// authenticateUser with the flow set to CUSTOM_AUTH (the library's SRP_A start), each answered
// with sendCustomChallengeAnswer. The pool's functions (the test's fake Lambda) ask question
// `q{n}` whose answer is `secret-{n}` and issue tokens after one right answer.
//
// Usage: node custom.cjs ENDPOINT_URL   (the library from NODE_PATH)
// Env:   CUSTOM_POOL, CUSTOM_CLIENT (no secret, CUSTOM_AUTH and USER_SRP_AUTH allowed),
//        CUSTOM_USER, CUSTOM_PASSWORD.
// Exits non-zero on any mismatch; on success the last line of stdout is a JSON summary.
"use strict";
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require("amazon-cognito-identity-js");

const endpoint = process.argv[2];
const env = process.env;
const pool = new CognitoUserPool({ UserPoolId: env.CUSTOM_POOL, ClientId: env.CUSTOM_CLIENT, endpoint });

function check(cond, what) {
  if (!cond) {
    console.error("FAILED: " + what);
    process.exit(1);
  }
}

// Answers the questions with `answers` in turn (a function of the question); resolves with the
// questions asked and the session, or the error.
function run(start, answers) {
  const asked = [];
  return new Promise((resolve) => {
    const callbacks = {
      onSuccess: (session) => resolve({ ok: true, session, asked }),
      onFailure: (err) => resolve({ ok: false, err, asked }),
      customChallenge: (params) => {
        asked.push(params.question);
        const answer = answers[asked.length - 1];
        if (answer === undefined) {
          resolve({ ok: false, err: { code: "UNEXPECTED_CHALLENGE", message: JSON.stringify(params) }, asked });
          return;
        }
        start.user.sendCustomChallengeAnswer(answer(params.question), callbacks, { from: "node" });
      },
      newPasswordRequired: () => resolve({ ok: false, err: { code: "NEW_PASSWORD_REQUIRED" }, asked }),
      totpRequired: () => resolve({ ok: false, err: { code: "SOFTWARE_TOKEN_MFA" }, asked }),
      mfaRequired: () => resolve({ ok: false, err: { code: "SMS_MFA" }, asked }),
    };
    start.go(callbacks);
  });
}

const right = (q) => "secret-" + q.slice(1);
const describe = (r) => JSON.stringify(r.err && { code: r.err.code, message: r.err.message });

function signedIn(r, what) {
  check(r.ok, what + ": " + describe(r));
  const access = r.session.getAccessToken().decodePayload();
  check(access.username === env.CUSTOM_USER, what + ": access token username " + access.username);
  check(r.session.getIdToken().decodePayload()["cognito:username"] === env.CUSTOM_USER, what + ": id token");
  check(r.session.getRefreshToken().getToken().length > 0, what + ": refresh token");
}

(async () => {
  const passed = [];

  // No password: the custom challenges alone, a wrong answer first.
  let user = new CognitoUser({ Username: env.CUSTOM_USER, Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const plain = new AuthenticationDetails({ Username: env.CUSTOM_USER });
  const noPassword = await run({ user, go: (cb) => user.initiateAuth(plain, cb) }, [() => "wrong", right]);
  signedIn(noPassword, "custom challenges");
  check(JSON.stringify(noPassword.asked) === '["q0","q1"]', "questions " + JSON.stringify(noPassword.asked));
  passed.push("custom challenges");

  // SRP_A first: the password proves itself with SRP, then one custom challenge.
  user = new CognitoUser({ Username: env.CUSTOM_USER, Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const withPassword = new AuthenticationDetails({ Username: env.CUSTOM_USER, Password: env.CUSTOM_PASSWORD });
  const srp = await run({ user, go: (cb) => user.authenticateUser(withPassword, cb) }, [right]);
  signedIn(srp, "SRP then a custom challenge");
  check(JSON.stringify(srp.asked) === '["q0"]', "questions " + JSON.stringify(srp.asked));
  passed.push("SRP then a custom challenge");

  // A wrong password ends the SRP start before any question.
  user = new CognitoUser({ Username: env.CUSTOM_USER, Pool: pool });
  user.setAuthenticationFlowType("CUSTOM_AUTH");
  const wrong = new AuthenticationDetails({ Username: env.CUSTOM_USER, Password: env.CUSTOM_PASSWORD + "x" });
  const bad = await run({ user, go: (cb) => user.authenticateUser(wrong, cb) }, []);
  check(!bad.ok && bad.err.code === "NotAuthorizedException", "wrong password: " + describe(bad));
  check(bad.asked.length === 0, "asked after a wrong password: " + JSON.stringify(bad.asked));
  passed.push("wrong password refused");

  console.log(JSON.stringify({ passed }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
