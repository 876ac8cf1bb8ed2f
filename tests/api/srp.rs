//! USER_SRP_AUTH over HTTP with a client written here from the formulas (not the server's
//! module): tokens, the challenges that follow, and every refusal — wrong password, tampered
//! signature, stale and future TIMESTAMP, a reused or another user's SECRET_BLOCK, A ≡ 0, an
//! unknown user with and without PreventUserExistenceErrors, a user without a verifier yet — all
//! through the password flow's lockout. pycognito and amazon-cognito-identity-js sign in too
//! (`srp_clients.rs`).

use crate::helpers::*;
use crate::mfa::{mfa_pool, respond, set_up_totp, totp_code};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U3072};
use hmac::{Hmac, Mac};
use portcullis::clock::Clock;
use portcullis::store::users::UserRow;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const INCORRECT: &str = "Incorrect username or password.";
type Monty = FixedMontyForm<{ U3072::LIMBS }>;

fn params() -> FixedMontyParams<{ U3072::LIMBS }> {
    FixedMontyParams::new_vartime(Odd::<U3072>::from_be_hex(N_HEX))
}

fn num(bytes: &[u8]) -> U3072 {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let bytes = &bytes[start..];
    let mut buf = [0u8; 384];
    buf[384 - bytes.len()..].copy_from_slice(bytes);
    U3072::from_be_slice(&buf)
}

fn num_hex(h: &str) -> U3072 {
    let h = if h.len() % 2 == 1 { format!("0{h}") } else { h.to_string() };
    num(&hex::decode(h).expect("hex"))
}

/// padHex: shortest big-endian bytes, a zero byte in front when the top bit is set.
fn pad(x: &U3072) -> Vec<u8> {
    let b = x.to_be_bytes();
    let start = b.iter().position(|v| *v != 0).unwrap_or(383);
    let mut out = b[start..].to_vec();
    if out[0] >= 0x80 {
        out.insert(0, 0);
    }
    out
}

fn h(parts: &[&[u8]]) -> U3072 {
    let mut d = Sha256::new();
    for p in parts {
        d.update(p);
    }
    num(&d.finalize())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The client's secret a and public A.
pub struct SrpClient {
    a: U3072,
    pub big_a: String,
}

impl SrpClient {
    pub fn new() -> Self {
        let a = num(&rand_bytes());
        let g = Monty::new(&U3072::from_u8(2), &params());
        let big_a = g.pow(&a).retrieve();
        SrpClient { a, big_a: hex::encode(pad(&big_a)) }
    }

    /// The HKDF key for a PASSWORD_VERIFIER challenge (SALT, SRP_B) and this password.
    pub fn key(&self, pool_id: &str, user_id: &str, password: &str, salt_hex: &str, b_hex: &str) -> Vec<u8> {
        self.key_named(pool_id.split_once('_').unwrap().1, user_id, password, salt_hex, b_hex)
    }

    /// The same with SRP's "pool name" given (a device's is its DeviceGroupKey).
    pub fn key_named(&self, pool_name: &str, user_id: &str, password: &str, salt_hex: &str, b_hex: &str) -> Vec<u8> {
        let p = params();
        let n_pad = pad(Odd::<U3072>::from_be_hex(N_HEX).as_ref());
        let k = h(&[&n_pad, &[2]]);
        let big_a = num_hex(&self.big_a);
        let big_b = num_hex(b_hex);
        let u = h(&[&pad(&big_a), &pad(&big_b)]);
        let inner = Sha256::digest(format!("{pool_name}{user_id}:{password}").as_bytes());
        let x = h(&[&pad(&num_hex(salt_hex)), &inner]);
        let g = Monty::new(&U3072::from_u8(2), &p);
        let base = Monty::new(&big_b, &p).sub(&Monty::new(&k, &p).mul(&g.pow(&x)));
        let exp = self.a.wrapping_add(&u.wrapping_mul(&x));
        let s = base.pow(&exp).retrieve();
        let prk = hmac(&pad(&u), &pad(&s));
        hmac(&prk, b"Caldera Derived Key\x01")[..16].to_vec()
    }
}

/// A verifier as ConfirmDevice's DeviceSecretVerifierConfig carries it (base64 of the padded
/// numbers): v = g^x, x = H(PAD(salt) | H(group | key | ":" | password)).
pub fn device_verifier(group: &str, key: &str, password: &str, salt: &[u8]) -> Value {
    let inner = Sha256::digest(format!("{group}{key}:{password}").as_bytes());
    let x = h(&[&pad(&num(salt)), &inner]);
    let v = Monty::new(&U3072::from_u8(2), &params()).pow(&x).retrieve();
    json!({"PasswordVerifier": STANDARD.encode(pad(&v)), "Salt": STANDARD.encode(pad(&num(salt)))})
}

/// The client's signature over a challenge's SECRET_BLOCK with a key from [`SrpClient::key_named`].
pub fn claim(key: &[u8], pool_name: &str, user_id: &str, secret_block: &str, ts: &str) -> String {
    let block = STANDARD.decode(secret_block).unwrap();
    STANDARD.encode(hmac(key, &[pool_name.as_bytes(), user_id.as_bytes(), &block, ts.as_bytes()].concat()))
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).unwrap();
    b
}

/// "Sun Jan 2 03:04:05 UTC 2026", the day unpadded, as amazon-cognito-identity-js writes it.
pub fn timestamp(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0).unwrap().format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// ChallengeResponses for PASSWORD_VERIFIER.
pub fn proof(c: &SrpClient, pool: &str, params: &Value, password: &str, ts: &str) -> Value {
    let user_id = params["USER_ID_FOR_SRP"].as_str().unwrap();
    let key = c.key(pool, user_id, password, params["SALT"].as_str().unwrap(), params["SRP_B"].as_str().unwrap());
    let block = STANDARD.decode(params["SECRET_BLOCK"].as_str().unwrap()).unwrap();
    let pool_name = pool.split_once('_').unwrap().1;
    let msg = [pool_name.as_bytes(), user_id.as_bytes(), &block, ts.as_bytes()].concat();
    json!({
        "USERNAME": params["USERNAME"],
        "PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
        "PASSWORD_CLAIM_SIGNATURE": STANDARD.encode(hmac(&key, &msg)),
        "TIMESTAMP": ts,
    })
}

pub async fn start(app: &TestApp, client_id: &str, username: &str, c: &SrpClient) -> (u16, Value) {
    app.public_api(
        "InitiateAuth",
        json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client_id,
               "AuthParameters": {"USERNAME": username, "SRP_A": c.big_a}}),
    )
    .await
}

pub async fn answer(app: &TestApp, client_id: &str, responses: Value) -> (u16, Value) {
    app.public_api(
        "RespondToAuthChallenge",
        json!({"ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": responses}),
    )
    .await
}

/// Both steps with the server's clock for TIMESTAMP.
pub async fn srp_sign_in(app: &TestApp, pool: &str, client_id: &str, username: &str, password: &str) -> (u16, Value) {
    let c = SrpClient::new();
    let (st, v) = start(app, client_id, username, &c).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "PASSWORD_VERIFIER");
    let r = proof(&c, pool, &v["ChallengeParameters"], password, &timestamp(app.clock.now()));
    answer(app, client_id, r).await
}

fn srp_client() -> Value {
    json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]})
}

fn refused(st: u16, v: &Value, what: &str) {
    assert_eq!((st, err_type(v), err_message(v)), (400, "NotAuthorizedException", INCORRECT), "{what}: {v}");
}

#[tokio::test]
async fn srp_sign_in_gets_tokens_and_refresh_works() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    let c = SrpClient::new();
    let (st, v) = start(&app, &f.client_id, "alice", &c).await;
    assert_eq!(st, 200, "{v}");
    let p = &v["ChallengeParameters"];
    assert_eq!(p["USERNAME"], "alice");
    assert_eq!(p["USER_ID_FOR_SRP"], "alice");
    for k in ["SALT", "SRP_B"] {
        let s = p[k].as_str().unwrap();
        assert!(!s.starts_with('0') && s.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{k}: {s}");
    }
    assert!(v.get("Session").is_none(), "Cognito sends no Session with PASSWORD_VERIFIER");
    let (st, t) = answer(&app, &f.client_id, proof(&c, &f.pool, p, PASSWORD, &timestamp(app.clock.now()))).await;
    assert_eq!(st, 200, "{t}");
    let at = t["AuthenticationResult"]["AccessToken"].as_str().unwrap();
    assert_eq!(claims(at)["username"], "alice");
    let (st, r) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client_id,
                   "AuthParameters": {"REFRESH_TOKEN": t["AuthenticationResult"]["RefreshToken"]}}),
        )
        .await;
    assert_eq!(st, 200, "{r}");

    // The same salt each time, a fresh B.
    let (_, again) = start(&app, &f.client_id, "alice", &SrpClient::new()).await;
    assert_eq!(again["ChallengeParameters"]["SALT"], p["SALT"]);
    assert_ne!(again["ChallengeParameters"]["SRP_B"], p["SRP_B"]);

    // AdminInitiateAuth takes the flow too, and the pool's SignIn event is recorded.
    let c = SrpClient::new();
    let v = app
        .ok(
            "AdminInitiateAuth",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "AuthFlow": "USER_SRP_AUTH",
                   "AuthParameters": {"USERNAME": "alice", "SRP_A": c.big_a}}),
        )
        .await;
    let r = proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(app.clock.now()));
    let t = app
        .ok(
            "AdminRespondToAuthChallenge",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": r}),
        )
        .await;
    assert!(t["AuthenticationResult"]["IdToken"].is_string());
}

#[tokio::test]
async fn srp_refusals_look_like_a_wrong_password() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    // Each user stays under the five free failures, so no lock gets in the way here.
    for name in ["bob", "erin", "frank"] {
        app.create_user(&f.pool, name, PASSWORD, json!([])).await;
    }
    let now = app.clock.now();

    let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "alice", "Wrong-Horse-9").await;
    refused(st, &v, "wrong password");

    // A tampered signature.
    let c = SrpClient::new();
    let (_, v) = start(&app, &f.client_id, "alice", &c).await;
    let mut r = proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(now));
    let mut sig = STANDARD.decode(r["PASSWORD_CLAIM_SIGNATURE"].as_str().unwrap()).unwrap();
    sig[0] ^= 1;
    r["PASSWORD_CLAIM_SIGNATURE"] = json!(STANDARD.encode(sig));
    let (st, e) = answer(&app, &f.client_id, r).await;
    refused(st, &e, "tampered signature");

    // Stale and future timestamps, each signed correctly.
    for (at, what, who) in [(now - 600, "stale", "alice"), (now + 600, "future", "erin"), (now, "unparseable", "erin")]
    {
        let c = SrpClient::new();
        let (_, v) = start(&app, &f.client_id, who, &c).await;
        let ts = if what == "unparseable" { "2026-01-02T03:04:05Z".to_string() } else { timestamp(at) };
        let (st, e) = answer(&app, &f.client_id, proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &ts)).await;
        refused(st, &e, what);
    }

    // The library's other form (zero-padded day) and a little skew are fine.
    let c = SrpClient::new();
    let (_, v) = start(&app, &f.client_id, "erin", &c).await;
    let padded = chrono::DateTime::from_timestamp(now - 60, 0).unwrap().format("%a %b %d %H:%M:%S UTC %Y").to_string();
    let r = proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &padded);
    let (st, ok) = answer(&app, &f.client_id, r.clone()).await;
    assert_eq!(st, 200, "{ok}");
    // The same block again, correctly signed: spent.
    let (st, e) = answer(&app, &f.client_id, r).await;
    refused(st, &e, "reused block");

    // Bob's block with alice's name (and alice's proof), and alice's block under bob's name.
    let (ca, cb) = (SrpClient::new(), SrpClient::new());
    let (_, va) = start(&app, &f.client_id, "alice", &ca).await;
    let (_, vb) = start(&app, &f.client_id, "bob", &cb).await;
    let mut r = proof(&ca, &f.pool, &va["ChallengeParameters"], PASSWORD, &timestamp(now));
    r["PASSWORD_CLAIM_SECRET_BLOCK"] = vb["ChallengeParameters"]["SECRET_BLOCK"].clone();
    let (st, e) = answer(&app, &f.client_id, r).await;
    refused(st, &e, "another user's block");
    let mut r = proof(&ca, &f.pool, &va["ChallengeParameters"], PASSWORD, &timestamp(now));
    r["USERNAME"] = json!("bob");
    let (st, e) = answer(&app, &f.client_id, r).await;
    refused(st, &e, "a block answered under another name");

    // A block from another client of the pool.
    let (other, _) = app.create_client(&f.pool, false, srp_client()).await;
    let c = SrpClient::new();
    let (_, v) = start(&app, &other, "bob", &c).await;
    let (st, e) =
        answer(&app, &f.client_id, proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(now))).await;
    refused(st, &e, "another client's block");

    // Garbage blocks.
    for block in ["", "not base64!", "AAAA"] {
        let c = SrpClient::new();
        let (_, v) = start(&app, &f.client_id, "frank", &c).await;
        let mut r = proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(now));
        r["PASSWORD_CLAIM_SECRET_BLOCK"] = json!(block);
        let (st, e) = answer(&app, &f.client_id, r).await;
        refused(st, &e, block);
    }
}

#[tokio::test]
async fn srp_a_zero_and_malformed_a_are_invalid_parameters() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    let n_times_two_padded = format!("0000{N_HEX}");
    for a in ["0", "000", N_HEX, n_times_two_padded.as_str(), "xyz", &"f".repeat(1000)] {
        let (st, v) = app
            .public_api(
                "InitiateAuth",
                json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": f.client_id,
                       "AuthParameters": {"USERNAME": "alice", "SRP_A": a}}),
            )
            .await;
        assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "A = {a}: {v}");
    }
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": f.client_id, "AuthParameters": {"USERNAME": "alice"}}),
        )
        .await;
    assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "{v}");
}

#[tokio::test]
async fn srp_needs_the_flow_enabled_on_the_client() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let (st, v) = start(&app, &f.client_id, "alice", &SrpClient::new()).await;
    assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "{v}");
    assert_eq!(err_message(&v), "USER_SRP_AUTH flow not enabled for this client");
    // Legacy flags only: SRP was always on.
    let (legacy, _) = app.create_client(&f.pool, false, json!({"ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH"]})).await;
    let (st, v) = srp_sign_in(&app, &f.pool, &legacy, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test]
async fn srp_unknown_users_fail_at_the_verifier_when_existence_is_hidden() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    let (st, v) = start(&app, &f.client_id, "nobody", &SrpClient::new()).await;
    assert_eq!((st, err_type(&v)), (400, "UserNotFoundException"), "{v}");

    let mut extra = srp_client();
    extra["PreventUserExistenceErrors"] = json!("ENABLED");
    let (hidden, _) = app.create_client(&f.pool, false, extra).await;
    let (st, a) = start(&app, &hidden, "nobody", &SrpClient::new()).await;
    assert_eq!(st, 200, "{a}");
    let (_, b) = start(&app, &hidden, "nobody", &SrpClient::new()).await;
    let (_, real) = start(&app, &hidden, "alice", &SrpClient::new()).await;
    let (pa, pb, pr) = (&a["ChallengeParameters"], &b["ChallengeParameters"], &real["ChallengeParameters"]);
    assert_eq!(pa["SALT"], pb["SALT"], "a stable salt per name");
    assert_ne!(pa["SRP_B"], pb["SRP_B"]);
    assert_eq!(pa["USER_ID_FOR_SRP"], "nobody");
    for k in ["SALT", "SRP_B", "SECRET_BLOCK"] {
        let (fake, genuine) = (pa[k].as_str().unwrap().len(), pr[k].as_str().unwrap().len());
        assert!(fake.abs_diff(genuine) <= 2, "{k}: {fake} vs {genuine}");
    }
    let (st, e) = srp_sign_in(&app, &f.pool, &hidden, "nobody", PASSWORD).await;
    refused(st, &e, "unknown user");
    let (st, e) = srp_sign_in(&app, &f.pool, &hidden, "alice", "Wrong-Horse-9").await;
    refused(st, &e, "known user, wrong password");
}

#[tokio::test]
async fn srp_failures_lock_out_like_password_failures() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let f = setup_flow(&app, false, srp_client()).await;
    for i in 0..5 {
        let (st, e) = srp_sign_in(&app, &f.pool, &f.client_id, "alice", "Wrong-Horse-9").await;
        refused(st, &e, &format!("failure {i}"));
    }
    // The sixth guess is refused by the lock, right or wrong, through either flow.
    let (st, e) = srp_sign_in(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    assert_eq!((st, err_message(&e)), (400, "Password attempts exceeded"), "{e}");
    let (st, e) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!((st, err_message(&e)), (400, "Password attempts exceeded"), "{e}");
    app.clock.advance_secs(3);
    let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "after the lock: {v}");
}

#[tokio::test]
async fn srp_user_without_a_verifier_gets_one_at_the_next_password_sign_in() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    // A user from before SRP (or imported): an argon2 hash and no verifier.
    let passwords = portcullis::userpool::password::Passwords::new(portcullis::crypto::MasterKey::from_bytes(&[1; 32]));
    let sub = portcullis::ids::UserSub::from("0a0a0a0a-0000-4000-8000-00000000000a".to_string());
    let pool_id = portcullis::ids::PoolId::from(f.pool.clone());
    let credential = passwords.credential(&pool_id, &sub, "olga", PASSWORD).await.unwrap();
    let now = app.clock.now();
    let olga = UserRow {
        id: sub,
        pool_id,
        username: "olga".into(),
        username_key: "olga".into(),
        status: "CONFIRMED".into(),
        enabled: true,
        password_hash: Some(credential.argon2_hash().to_string()),
        srp_verifier: None,
        password_set_at: Some(now),
        attributes: Default::default(),
        tokens_valid_after: 0,
        created_at: now,
        updated_at: now,
    };
    app.services.store.insert_user(&olga, &[], &[]).await.unwrap();
    let (st, v) = start(&app, &f.client_id, "olga", &SrpClient::new()).await;
    assert_eq!((st, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    assert!(err_message(&v).contains("sign in once with the password"), "{v}");

    let (st, v) = initiate_auth(&app, &f.client_id, "olga", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "olga", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
}

#[tokio::test]
async fn srp_by_e_mail_answers_with_the_generated_username() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"UsernameAttributes": ["email"]})).await;
    let (client, secret) = app.create_client(&pool, true, srp_client()).await;
    let secret = secret.unwrap();
    let user = app.create_user(&pool, "carol@example.com", PASSWORD, json!([])).await;
    let sub = user["Username"].as_str().unwrap().to_string();
    let secret_hash = |name: &str| STANDARD.encode(hmac(secret.as_bytes(), format!("{name}{client}").as_bytes()));

    let c = SrpClient::new();
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client, "AuthParameters":
                {"USERNAME": "carol@example.com", "SRP_A": c.big_a, "SECRET_HASH": secret_hash("carol@example.com")}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let p = &v["ChallengeParameters"];
    assert_eq!(p["USER_ID_FOR_SRP"], json!(sub));
    let mut r = proof(&c, &pool, p, PASSWORD, &timestamp(app.clock.now()));
    r["SECRET_HASH"] = json!(secret_hash(&sub));
    let (st, t) = answer(&app, &client, r).await;
    assert_eq!(st, 200, "{t}");
    assert_eq!(claims(t["AuthenticationResult"]["IdToken"].as_str().unwrap())["email"], "carol@example.com");
}

#[tokio::test]
async fn srp_goes_on_to_new_password_and_mfa_challenges() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, srp_client()).await;
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": f.pool, "Username": "dave", "TemporaryPassword": "Temp-Pass-123", "MessageAction": "SUPPRESS"}),
    )
    .await;
    let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "dave", "Temp-Pass-123").await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("NEW_PASSWORD_REQUIRED")), "{v}");
    let (st, t) = app
        .public_api(
            "RespondToAuthChallenge",
            json!({"ClientId": f.client_id, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": v["Session"],
                   "ChallengeResponses": {"USERNAME": "dave", "NEW_PASSWORD": "Brand-New-Pass-4"}}),
        )
        .await;
    assert_eq!(st, 200, "{t}");
    // The new password's verifier was stored with it.
    let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "dave", "Brand-New-Pass-4").await;
    assert_eq!(st, 200, "{v}");

    // TOTP after the proof.
    let mut m = mfa_pool(&app, "ON", false).await;
    let secret = set_up_totp(&app, &m).await;
    m.client_id = app.create_client(&m.pool, false, srp_client()).await.0;
    app.clock.advance_secs(30);
    let (st, v) = srp_sign_in(&app, &m.pool, &m.client_id, "alice", PASSWORD).await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("SOFTWARE_TOKEN_MFA")), "{v}");
    let code = totp_code(&secret, app.clock.now());
    let (st, t) =
        respond(&app, &m, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
    assert_eq!(st, 200, "{t}");
    assert!(t["AuthenticationResult"]["AccessToken"].is_string());
}

#[tokio::test]
async fn srp_sign_ins_are_recorded_like_password_sign_ins() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}})).await;
    let (client, _) = app.create_client(&pool, false, srp_client()).await;
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    let (st, _) = srp_sign_in(&app, &pool, &client, "alice", "Wrong-Horse-9").await;
    assert_eq!(st, 400);
    let (st, v) = srp_sign_in(&app, &pool, &client, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");

    let v = app.ok("AdminListUserAuthEvents", json!({"UserPoolId": pool, "Username": "alice"})).await;
    let events = v["AuthEvents"].as_array().unwrap();
    let seen: Vec<(&str, &str, &str)> = events
        .iter()
        .map(|e| {
            let first = &e["ChallengeResponses"][0];
            (
                e["EventType"].as_str().unwrap(),
                e["EventResponse"].as_str().unwrap(),
                first["ChallengeResponse"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(seen[..2], [("SignIn", "Pass", "Success"), ("SignIn", "Fail", "Failure")], "{v}");
}

#[tokio::test]
async fn srp_by_alias_answers_with_the_real_username() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"AliasAttributes": ["email"]})).await;
    let (client, _) = app.create_client(&pool, false, srp_client()).await;
    app.create_user(
        &pool,
        "gina",
        PASSWORD,
        json!([{"Name": "email", "Value": "gina@example.com"}, {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    let c = SrpClient::new();
    let (st, v) = start(&app, &client, "gina@example.com", &c).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeParameters"]["USER_ID_FOR_SRP"], "gina");
    assert_eq!(v["ChallengeParameters"]["USERNAME"], "gina");
    let (st, t) =
        answer(&app, &client, proof(&c, &pool, &v["ChallengeParameters"], PASSWORD, &timestamp(app.clock.now()))).await;
    assert_eq!(st, 200, "{t}");
}
