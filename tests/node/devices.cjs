#!/usr/bin/env node
// Remembered devices through amazon-cognito-identity-js: the library confirms the device a
// sign-in was issued to (ConfirmDevice with the verifier of its own random password), proves it
// on the next sign-in (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) in place of the TOTP code,
// refreshes with its key, and lists, reads, marks and forgets it, all against the pool's
// `endpoint`.
//
// Usage: node devices.cjs ENDPOINT_URL   (the library from NODE_PATH)
// Env:   DEV_POOL, DEV_CLIENT (no secret, USER_SRP_AUTH and refresh allowed) of a pool with
//        DeviceConfiguration {ChallengeRequiredOnNewDevice: true,
//        DeviceOnlyRememberedOnUserPrompt: false} and MFA ON; DEV_USER, DEV_PASSWORD;
//        DEV_TOTP_SECRET (the user's authenticator, base32); DEV_TOTP_AT (epoch seconds): the
//        time of the first TOTP code sent, each next one 30 s later (three in all). Each time
//        step is accepted once, so the server's clock must accept all three (one step of skew
//        either way of a stopped clock) and none may be the step that set the authenticator up.
// Exits non-zero on any mismatch; on success the last line of stdout is a JSON summary: the
// steps passed, the key the first sign-in confirmed (since forgotten) and the key the last one
// confirmed.
"use strict";
const crypto = require("node:crypto");
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require("amazon-cognito-identity-js");

const endpoint = process.argv[2];
const env = process.env;

// One storage for every CognitoUser of the pool, as a browser's localStorage would be.
const stored = new Map();
const storage = {
  setItem: (k, v) => stored.set(k, String(v)),
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  removeItem: (k) => stored.delete(k),
  clear: () => stored.clear(),
};
const pool = new CognitoUserPool({
  UserPoolId: env.DEV_POOL,
  ClientId: env.DEV_CLIENT,
  endpoint,
  Storage: storage,
});

// What the library sends, in order: the action, the flow or challenge, and any device key.
let sent = [];
const request = pool.client.request.bind(pool.client);
pool.client.request = (operation, params, callback) => {
  const inner = params.AuthParameters || params.ChallengeResponses || {};
  sent.push({
    op: operation,
    step: params.ChallengeName || params.AuthFlow || null,
    device: inner.DEVICE_KEY || params.DeviceKey || null,
  });
  return request(operation, params, callback);
};
function steps() {
  return sent.map((s) => s.op + (s.step ? ":" + s.step : "") + (s.device ? "+device" : ""));
}

// RFC 6238 (SHA-1, 6 digits, 30 s), written here, not taken from the server.
function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of s.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error("not base32: " + ch);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = crypto.createHmac("sha1", base32(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, "0");
}
let nextStep = Math.floor(Number(env.DEV_TOTP_AT) / 30);
function nextCode() {
  return totp(env.DEV_TOTP_SECRET, nextStep++);
}

function check(cond, what) {
  if (!cond) {
    console.error("FAILED: " + what);
    console.error("sent: " + JSON.stringify(steps()));
    process.exit(1);
  }
}
function brief(err) {
  return JSON.stringify(err && { code: err.code, message: err.message });
}

// authenticateUser (SRP) with a new CognitoUser; a TOTP challenge is answered with the next code
// when `answerTotp`, else it ends the sign-in. Resolves {session, totpAsked, confirmationNecessary}
// or {err}.
function signIn(answerTotp) {
  const user = new CognitoUser({ Username: env.DEV_USER, Pool: pool, Storage: storage });
  user.setAuthenticationFlowType("USER_SRP_AUTH");
  const details = new AuthenticationDetails({ Username: env.DEV_USER, Password: env.DEV_PASSWORD });
  let totpAsked = false;
  return new Promise((resolve) => {
    const callbacks = {
      onSuccess: (session, confirmationNecessary) => resolve({ user, session, totpAsked, confirmationNecessary }),
      onFailure: (err) => resolve({ user, err, totpAsked }),
      newPasswordRequired: () => resolve({ user, err: { code: "NEW_PASSWORD_REQUIRED" }, totpAsked }),
      mfaRequired: () => resolve({ user, err: { code: "SMS_MFA" }, totpAsked }),
      mfaSetup: () => resolve({ user, err: { code: "MFA_SETUP" }, totpAsked }),
      selectMFAType: () => resolve({ user, err: { code: "SELECT_MFA_TYPE" }, totpAsked }),
      totpRequired: () => {
        totpAsked = true;
        if (!answerTotp) return resolve({ user, totpAsked });
        user.sendMFACode(nextCode(), callbacks, "SOFTWARE_TOKEN_MFA");
      },
    };
    user.authenticateUser(details, callbacks);
  });
}

// A callback-map method of CognitoUser as a promise: {ok} or {err}.
function call(user, method, ...args) {
  return new Promise((resolve) => {
    user[method](...args, { onSuccess: (ok) => resolve({ ok }), onFailure: (err) => resolve({ err }) });
  });
}

function cachedDevice(user) {
  user.getCachedDeviceKeyAndPassword();
  return { key: user.deviceKey, group: user.deviceGroupKey, password: user.randomPassword };
}

function attrs(device) {
  return Object.fromEntries((device.DeviceAttributes || []).map((a) => [a.Name, a.Value]));
}

(async () => {
  const passed = [];

  // 1. A new device: TOTP, then the library confirms the device from NewDeviceMetadata.
  sent = [];
  const first = await signIn(true);
  check(first.session, "first sign-in: " + brief(first.err));
  check(first.totpAsked, "the first sign-in asks for the TOTP code");
  check(first.confirmationNecessary === undefined, "remembered at once: " + first.confirmationNecessary);
  const device = cachedDevice(first.user);
  check(device.key && device.group && device.password, "device cached: " + JSON.stringify(device));
  check(first.session.getAccessToken().decodePayload().device_key === device.key, "device_key claim");
  check(
    JSON.stringify(steps()) ===
      JSON.stringify([
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER",
        "RespondToAuthChallenge:SOFTWARE_TOKEN_MFA",
        "ConfirmDevice+device",
      ]),
    "first sign-in's requests"
  );
  passed.push("new device confirmed by the sdk");

  // 2. The remembered device proves itself; no TOTP code is asked.
  sent = [];
  const second = await signIn(false);
  check(second.session, "device sign-in: " + brief(second.err) + (second.totpAsked ? " (TOTP asked)" : ""));
  check(!second.totpAsked, "no TOTP code asked of a remembered device");
  check(second.session.getAccessToken().decodePayload().device_key === device.key, "device sign-in device_key");
  check(
    JSON.stringify(steps()) ===
      JSON.stringify([
        "InitiateAuth:USER_SRP_AUTH",
        "RespondToAuthChallenge:PASSWORD_VERIFIER+device",
        "RespondToAuthChallenge:DEVICE_SRP_AUTH+device",
        "RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER+device",
      ]),
    "device sign-in's requests"
  );
  passed.push("remembered device replaces totp");

  // 3. refreshSession sends the device key and gets tokens for the device.
  sent = [];
  const user = second.user;
  const refreshed = await new Promise((resolve) =>
    user.refreshSession(second.session.getRefreshToken(), (err, session) => resolve({ err, session }))
  );
  check(refreshed.session, "refresh: " + brief(refreshed.err));
  check(refreshed.session.getAccessToken().decodePayload().device_key === device.key, "refreshed device_key");
  check(JSON.stringify(steps()) === JSON.stringify(["InitiateAuth:REFRESH_TOKEN_AUTH+device"]), "refresh request");
  passed.push("refresh with device key");

  // 4. listDevices and getDevice.
  const list = await call(user, "listDevices", 10, null);
  check(list.ok, "listDevices: " + brief(list.err));
  check(list.ok.Devices.length === 1 && list.ok.Devices[0].DeviceKey === device.key, "listed: " + JSON.stringify(list.ok));
  const listed = attrs(list.ok.Devices[0]);
  check(listed["dev:device_remembered_status"] === "remembered", "listed status " + JSON.stringify(listed));
  check(listed.device_name === "nodejs", "the library names the device: " + JSON.stringify(listed));
  passed.push("list devices");
  const got = await call(user, "getDevice");
  check(got.ok && got.ok.Device.DeviceKey === device.key, "getDevice: " + brief(got.err));
  check(attrs(got.ok.Device)["dev:device_remembered_status"] === "remembered", "got status");
  passed.push("get device");

  // 5. Not remembered: the TOTP code is asked again (and the tokens still go to the device);
  //    remembered again: the device stands in once more.
  const off = await call(user, "setDeviceStatusNotRemembered");
  check(off.ok === "SUCCESS", "setDeviceStatusNotRemembered: " + brief(off.err));
  const gotOff = await call(user, "getDevice");
  check(gotOff.ok && attrs(gotOff.ok.Device)["dev:device_remembered_status"] === "not_remembered", "not remembered");
  sent = [];
  const third = await signIn(true);
  check(third.session, "not-remembered sign-in: " + brief(third.err));
  check(third.totpAsked, "a device not remembered does not replace the TOTP code");
  check(third.session.getAccessToken().decodePayload().device_key === device.key, "tokens still go to the device");
  check(!steps().includes("ConfirmDevice+device"), "nothing new to confirm");
  check(cachedDevice(third.user).key === device.key, "the cache keeps the device");
  const on = await call(user, "setDeviceStatusRemembered");
  check(on.ok === "SUCCESS", "setDeviceStatusRemembered: " + brief(on.err));
  const fourth = await signIn(false);
  check(fourth.session && !fourth.totpAsked, "remembered again: " + brief(fourth.err));
  passed.push("not remembered asks totp, remembered again does not");

  // 6. forgetDevice: the cache is cleared, what was issued to the device is revoked, and the
  //    next sign-in asks for the TOTP code and confirms a new device.
  const forgot = await call(fourth.user, "forgetDevice");
  check(forgot.ok === "SUCCESS", "forgetDevice: " + brief(forgot.err));
  check(!cachedDevice(fourth.user).key, "forgetDevice clears the cache");
  const revoked = await call(fourth.user, "listDevices", 10, null);
  check(revoked.err && revoked.err.code === "NotAuthorizedException", "revoked token: " + brief(revoked.err));
  sent = [];
  const fifth = await signIn(true);
  check(fifth.session, "sign-in after forgetting: " + brief(fifth.err));
  check(fifth.totpAsked, "a forgotten device does not replace the TOTP code");
  const fresh = cachedDevice(fifth.user);
  check(fresh.key && fresh.key !== device.key, "a new device: " + fresh.key);
  check(steps().includes("ConfirmDevice+device"), "the new device is confirmed");
  const after = await call(fifth.user, "listDevices", 10, null);
  check(after.ok && after.ok.Devices.map((d) => d.DeviceKey).join() === fresh.key, "only the new device is listed");
  passed.push("forget device");

  console.log(JSON.stringify({ passed, forgotten: device.key, current: fresh.key }));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
