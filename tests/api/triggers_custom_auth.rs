//! CUSTOM_AUTH against the fake Lambda Invoke API ([`crate::triggers_fake`]): DefineAuthChallenge
//! leads the flow by the `session` it gets, CreateAuthChallenge makes each CUSTOM_CHALLENGE,
//! VerifyAuthChallengeResponse checks each answer; a start with SRP; the refusals (flow not
//! enabled, no function, failAuthentication, spent sessions, too many rounds); unknown users
//! hidden (the same flow with `userNotFound`) or not; and the admin actions.

use crate::helpers::*;
use crate::srp::{SrpClient, proof, timestamp};
use crate::triggers_fake::*;
use portcullis::clock::Clock;
use serde_json::{Value, json};

const TRIGGERS: [(&str, &str); 5] = [
    ("DefineAuthChallenge", "define"),
    ("CreateAuthChallenge", "create"),
    ("VerifyAuthChallengeResponse", "verify"),
    ("PostAuthentication", "post-auth"),
    ("PreTokenGeneration", "pre-token"),
];

fn custom_client(extra: Value) -> Value {
    let mut c = json!({"ExplicitAuthFlows": ["ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]});
    merge(&mut c, extra);
    c
}

fn entries(event: &Value) -> Vec<Value> {
    event["request"]["session"].as_array().cloned().unwrap_or_default()
}

/// DefineAuthChallenge: PASSWORD_VERIFIER right after SRP_A, tokens after `rights` right answers,
/// failure after five challenges, a CUSTOM_CHALLENGE otherwise.
fn define(rights: usize) -> Script {
    handler(move |e| {
        let s = entries(e);
        let right =
            s.iter().filter(|c| c["challengeName"] == "CUSTOM_CHALLENGE" && c["challengeResult"] == true).count();
        let next = |name: &str| json!({"challengeName": name, "issueTokens": false, "failAuthentication": false});
        match s.last() {
            Some(l) if l["challengeName"] == "SRP_A" => next("PASSWORD_VERIFIER"),
            _ if right >= rights => json!({"issueTokens": true, "failAuthentication": false}),
            _ if s.len() >= 5 => json!({"issueTokens": false, "failAuthentication": true}),
            _ => next("CUSTOM_CHALLENGE"),
        }
    })
}

/// CreateAuthChallenge: question `q{n}` whose answer is `secret-{n}`, n the custom challenges so far.
fn create() -> Script {
    handler(|e| {
        let n = entries(e).iter().filter(|c| c["challengeName"] == "CUSTOM_CHALLENGE").count();
        json!({
            "publicChallengeParameters": {"question": format!("q{n}")},
            "privateChallengeParameters": {"answer": format!("secret-{n}")},
            "challengeMetadata": format!("round-{n}"),
        })
    })
}

/// VerifyAuthChallengeResponse: right when the answer is the private one.
fn verify() -> Script {
    handler(|e| {
        let r = &e["request"];
        json!({"answerCorrect": r["challengeAnswer"] == r["privateChallengeParameters"]["answer"]})
    })
}

async fn custom_app(rights: usize, client_extra: Value) -> (FakeLambda, TestApp, Flow, crate::smtp::SmtpSink) {
    let fake = FakeLambda::start();
    fake.script("define", define(rights));
    fake.script("create", create());
    fake.script("verify", verify());
    let (app, sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &TRIGGERS, custom_client(client_extra)).await;
    // The event log needs the advanced security add-on.
    let audit = json!({"UserPoolId": f.pool, "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"},
                       "LambdaConfig": TRIGGERS.iter().map(|(k, n)| (k.to_string(), json!(arn(n)))).collect::<serde_json::Map<_, _>>()});
    app.ok("UpdateUserPool", audit).await;
    app.create_user(&f.pool, "rita", PASSWORD, json!([{"Name": "email", "Value": "rita@example.com"}])).await;
    (fake, app, f, sink)
}

fn initiate(f: &Flow, username: &str) -> Value {
    json!({"AuthFlow": "CUSTOM_AUTH", "ClientId": f.client_id, "AuthParameters": {"USERNAME": username},
           "ClientMetadata": {"app": "m"}})
}

async fn respond(app: &TestApp, f: &Flow, session: &Value, username: &str, answer: &str) -> (u16, Value) {
    app.public_api(
        "RespondToAuthChallenge",
        json!({"ClientId": f.client_id, "ChallengeName": "CUSTOM_CHALLENGE", "Session": session,
               "ChallengeResponses": {"USERNAME": username, "ANSWER": answer}}),
    )
    .await
}

fn expect_challenge(st: u16, v: &Value, question: &str, username: &str) {
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "CUSTOM_CHALLENGE", "{v}");
    assert_eq!(v["ChallengeParameters"], json!({"question": question, "USERNAME": username}));
    assert!(v["Session"].as_str().is_some_and(|s| s.len() > 20), "{v}");
    assert!(!v.to_string().contains("secret-") && !v.to_string().contains("round-"), "private parts leaked: {v}");
}

#[tokio::test]
async fn two_custom_challenges_with_a_wrong_answer_between_issue_tokens() {
    let (fake, app, f, _sink) = custom_app(2, json!({})).await;
    let (st, v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    expect_challenge(st, &v, "q0", "rita");
    let first = v["Session"].clone();

    let (st, v) = respond(&app, &f, &first, "rita", "wrong").await;
    expect_challenge(st, &v, "q1", "rita");
    let (st, v) = respond(&app, &f, &v["Session"], "rita", "secret-1").await;
    expect_challenge(st, &v, "q2", "rita");
    let last = v["Session"].clone();
    let (st, v) = respond(&app, &f, &last, "rita", "secret-2").await;
    assert_eq!(st, 200, "{v}");
    let tokens = &v["AuthenticationResult"];
    assert_eq!(claims(tokens["IdToken"].as_str().unwrap())["cognito:username"], "rita");
    assert!(tokens["RefreshToken"].is_string() && tokens["AccessToken"].is_string());

    // Define was asked four times, last with every answer's result and the challenge metadata.
    let defines = fake.events_of("define");
    assert_eq!(defines.len(), 4);
    assert_eq!(defines[0]["triggerSource"], "DefineAuthChallenge_Authentication");
    assert_eq!(defines[0]["userName"], "rita");
    assert_eq!(defines[0]["callerContext"]["clientId"], f.client_id);
    assert_eq!(defines[0]["request"]["session"], json!([]));
    assert_eq!(defines[0]["request"]["userNotFound"], false);
    assert_eq!(defines[0]["request"]["clientMetadata"], json!({"app": "m"}));
    assert_eq!(defines[0]["request"]["userAttributes"]["email"], "rita@example.com");
    assert_eq!(
        defines[3]["request"]["session"],
        json!([
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": false, "challengeMetadata": "round-0"},
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": true, "challengeMetadata": "round-1"},
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": true, "challengeMetadata": "round-2"},
        ])
    );
    let creates = fake.events_of("create");
    assert_eq!(creates.len(), 3);
    assert_eq!(creates[0]["triggerSource"], "CreateAuthChallenge_Authentication");
    assert_eq!(creates[0]["request"]["challengeName"], "CUSTOM_CHALLENGE");
    assert_eq!(creates[1]["request"]["session"].as_array().unwrap().len(), 1);
    let verifies = fake.events_of("verify");
    assert_eq!(verifies.len(), 3);
    assert_eq!(verifies[0]["triggerSource"], "VerifyAuthChallengeResponse_Authentication");
    assert_eq!(verifies[0]["request"]["privateChallengeParameters"], json!({"answer": "secret-0"}));
    assert_eq!(verifies[0]["request"]["challengeAnswer"], "wrong");
    assert_eq!(verifies[0]["request"]["userNotFound"], false);

    // Tokens as for any sign-in: PreTokenGeneration and PostAuthentication ran once.
    let pre_token = fake.events_of("pre-token");
    assert_eq!(pre_token.len(), 1);
    assert_eq!(pre_token[0]["triggerSource"], "TokenGeneration_Authentication");
    assert_eq!(fake.events_of("post-auth").len(), 1);

    // Spent sessions answer no more, the last nor the first.
    for spent in [&last, &first] {
        let (st, v) = respond(&app, &f, spent, "rita", "secret-2").await;
        assert_eq!((st, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
        assert_eq!(err_message(&v), "Invalid session for the user, session is expired.");
    }
    assert_eq!(fake.events_of("verify").len(), 3);

    // The event log has each step (newest first): the flow in progress, the sign-in, the spent
    // sessions refused.
    let v = app.ok("AdminListUserAuthEvents", json!({"UserPoolId": f.pool, "Username": "rita"})).await;
    let seen: Vec<(&str, &str)> = v["AuthEvents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["EventType"].as_str().unwrap(), e["EventResponse"].as_str().unwrap()))
        .collect();
    let signed = ("SignIn", "Pass");
    let (failed, going) = (("SignIn", "Fail"), ("SignIn", "InProgress"));
    assert_eq!(seen[..6], [failed, failed, signed, going, going, going], "{v}");
}

#[tokio::test]
async fn fail_authentication_and_function_errors_refuse_the_sign_in() {
    let (fake, app, f, _sink) = custom_app(1, json!({})).await;
    fake.script(
        "define",
        handler(|e| match entries(e).last() {
            Some(l) if l["challengeResult"] == false => json!({"failAuthentication": true}),
            Some(_) => json!({"issueTokens": true}),
            None => json!({"challengeName": "CUSTOM_CHALLENGE"}),
        }),
    );
    let (st, v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    expect_challenge(st, &v, "q0", "rita");
    let session = v["Session"].clone();
    let (st, v) = respond(&app, &f, &session, "rita", "wrong").await;
    assert_eq!((st, err_type(&v), err_message(&v)), (400, "NotAuthorizedException", "Incorrect username or password."));
    // The failed flow is over.
    let (_, v) = respond(&app, &f, &session, "rita", "secret-0").await;
    assert_eq!(err_message(&v), "Invalid session for the user, session is expired.");

    // Answering for another user is refused too.
    app.create_user(&f.pool, "sam", PASSWORD, json!([])).await;
    let (_, v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    let (st, v) = respond(&app, &f, &v["Session"], "sam", "secret-0").await;
    assert_eq!((st, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    assert!(fake.events_of("post-auth").is_empty());

    // A function error is Cognito's UserLambdaValidationException.
    fake.script("define", Script::Fail("No custom sign-in today"));
    let (st, v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    assert_eq!((st, err_type(&v)), (400, "UserLambdaValidationException"));
    assert_eq!(err_message(&v), "DefineAuthChallenge failed with error No custom sign-in today.");
    // A challenge Define may not ask here is an invalid answer.
    fake.script("define", Script::Respond(json!({"challengeName": "PASSWORD_VERIFIER"})));
    let (_, v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    assert_eq!(err_type(&v), "InvalidLambdaResponseException", "{v}");
    // Non-string public parameters are an invalid answer of CreateAuthChallenge.
    fake.script("define", define(1));
    fake.script("create", Script::Respond(json!({"publicChallengeParameters": {"n": 1}})));
    let (_, v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    assert_eq!(err_type(&v), "InvalidLambdaResponseException", "{v}");
}

#[tokio::test]
async fn a_flow_is_capped_at_ten_challenges() {
    let (fake, app, f, _sink) = custom_app(1, json!({})).await;
    fake.script("define", Script::Respond(json!({"challengeName": "CUSTOM_CHALLENGE"})));
    let (st, mut v) = app.public_api("InitiateAuth", initiate(&f, "rita")).await;
    assert_eq!(st, 200, "{v}");
    for round in 1..10 {
        let (st, next) = respond(&app, &f, &v["Session"], "rita", "wrong").await;
        assert_eq!(st, 200, "round {round}: {next}");
        v = next;
    }
    let (st, v) = respond(&app, &f, &v["Session"], "rita", "wrong").await;
    assert_eq!((st, err_type(&v), err_message(&v)), (400, "NotAuthorizedException", "Incorrect username or password."));
    assert_eq!(fake.events_of("create").len(), 10);
}

#[tokio::test]
async fn a_flow_may_start_with_srp_then_go_on_with_a_custom_challenge() {
    let (fake, app, f, _sink) = custom_app(1, json!({})).await;
    let start = |c: &SrpClient| {
        json!({"AuthFlow": "CUSTOM_AUTH", "ClientId": f.client_id,
               "AuthParameters": {"USERNAME": "rita", "CHALLENGE_NAME": "SRP_A", "SRP_A": c.big_a}})
    };
    let c = SrpClient::new();
    let (st, v) = app.public_api("InitiateAuth", start(&c)).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "PASSWORD_VERIFIER", "{v}");
    let defines = fake.events_of("define");
    assert_eq!(
        defines[0]["request"]["session"],
        json!([{"challengeName": "SRP_A", "challengeResult": true, "challengeMetadata": null}])
    );
    let r = proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(app.clock.now()));
    let (st, v) = crate::srp::answer(&app, &f.client_id, r).await;
    expect_challenge(st, &v, "q0", "rita");
    let second = &fake.events_of("define")[1];
    assert_eq!(
        second["request"]["session"],
        json!([
            {"challengeName": "SRP_A", "challengeResult": true, "challengeMetadata": null},
            {"challengeName": "PASSWORD_VERIFIER", "challengeResult": true, "challengeMetadata": null},
        ])
    );
    let (st, v) = respond(&app, &f, &v["Session"], "rita", "secret-0").await;
    assert_eq!(st, 200, "{v}");
    assert!(v["AuthenticationResult"]["IdToken"].is_string(), "{v}");

    // A wrong password ends the flow there, as USER_SRP_AUTH's would, before Define hears of it.
    let c = SrpClient::new();
    let (_, v) = app.public_api("InitiateAuth", start(&c)).await;
    let r = proof(&c, &f.pool, &v["ChallengeParameters"], "Wrong-Horse-9", &timestamp(app.clock.now()));
    let (st, v) = crate::srp::answer(&app, &f.client_id, r).await;
    assert_eq!((st, err_message(&v)), (400, "Incorrect username or password."), "{v}");
    assert_eq!(fake.events_of("define").len(), 4);

    // CHALLENGE_NAME=SRP_A needs SRP_A.
    let body = json!({"AuthFlow": "CUSTOM_AUTH", "ClientId": f.client_id,
                      "AuthParameters": {"USERNAME": "rita", "CHALLENGE_NAME": "SRP_A"}});
    let (st, v) = app.public_api("InitiateAuth", body).await;
    assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "{v}");
}

#[tokio::test]
async fn the_flow_must_be_enabled_and_the_pool_must_have_the_function() {
    let (fake, app, _f, _sink) = custom_app(1, json!({})).await;
    let pool = trigger_pool(&app, &TRIGGERS, json!({})).await;
    let (st, v) = app.public_api("InitiateAuth", initiate(&pool, "rita")).await;
    assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "{v}");
    assert_eq!(err_message(&v), "CUSTOM_AUTH flow not enabled for this client");
    // The legacy flag enables it.
    let legacy = trigger_pool(&app, &TRIGGERS, json!({"ExplicitAuthFlows": ["CUSTOM_AUTH_FLOW_ONLY"]})).await;
    app.create_user(&legacy.pool, "rita", PASSWORD, json!([])).await;
    let (st, v) = app.public_api("InitiateAuth", initiate(&legacy, "rita")).await;
    expect_challenge(st, &v, "q0", "rita");

    let bare = trigger_pool(&app, &[], custom_client(json!({}))).await;
    app.create_user(&bare.pool, "rita", PASSWORD, json!([])).await;
    let (st, v) = app.public_api("InitiateAuth", initiate(&bare, "rita")).await;
    assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "{v}");
    assert_eq!(err_message(&v), "Custom auth lambda trigger is not configured for the user pool.");
    assert_eq!(fake.events_of("define").len(), 1);
}

#[tokio::test]
async fn unknown_users_get_the_same_flow_when_hidden_and_never_tokens() {
    let (fake, app, f, _sink) = custom_app(2, json!({"PreventUserExistenceErrors": "ENABLED"})).await;
    let (st, v) = app.public_api("InitiateAuth", initiate(&f, "ghost")).await;
    expect_challenge(st, &v, "q0", "ghost");
    let d = fake.events_of("define").pop().unwrap();
    assert_eq!((d["request"]["userNotFound"].clone(), d["userName"].clone()), (json!(true), json!("ghost")));
    assert_eq!(d["request"]["userAttributes"], json!({}));
    assert_eq!(fake.events_of("create")[0]["request"]["userNotFound"], true);
    // Right answers go on as for a user; where Define would issue tokens, the flow fails.
    let (st, v) = respond(&app, &f, &v["Session"], "ghost", "secret-0").await;
    expect_challenge(st, &v, "q1", "ghost");
    assert_eq!(fake.events_of("verify")[0]["request"]["userNotFound"], true);
    let (st, v) = respond(&app, &f, &v["Session"], "ghost", "secret-1").await;
    assert_eq!((st, err_type(&v), err_message(&v)), (400, "NotAuthorizedException", "Incorrect username or password."));

    // Without hiding: UserNotFoundException, and no function is asked.
    let legacy = trigger_pool(&app, &TRIGGERS, custom_client(json!({"PreventUserExistenceErrors": "LEGACY"}))).await;
    let before = fake.events_of("define").len();
    let (st, v) = app.public_api("InitiateAuth", initiate(&legacy, "ghost")).await;
    assert_eq!((st, err_type(&v), err_message(&v)), (400, "UserNotFoundException", "User does not exist."));
    assert_eq!(fake.events_of("define").len(), before);
}

#[tokio::test]
async fn admin_initiate_auth_runs_the_same_flow() {
    let (fake, app, f, _sink) = custom_app(1, json!({})).await;
    let (st, v) = app
        .api(
            "AdminInitiateAuth",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "AuthFlow": "CUSTOM_AUTH",
                   "AuthParameters": {"USERNAME": "rita"}}),
        )
        .await;
    expect_challenge(st, &v, "q0", "rita");
    let (st, v) = app
        .api(
            "AdminRespondToAuthChallenge",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "ChallengeName": "CUSTOM_CHALLENGE",
                   "Session": v["Session"], "ChallengeResponses": {"USERNAME": "rita", "ANSWER": "secret-0"},
                   "ClientMetadata": {"step": "2"}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert!(v["AuthenticationResult"]["AccessToken"].is_string(), "{v}");
    assert_eq!(fake.events_of("verify")[0]["request"]["clientMetadata"], json!({"step": "2"}));
    // An answer without ANSWER is an invalid parameter.
    let (st, v) = app
        .api(
            "AdminRespondToAuthChallenge",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "ChallengeName": "CUSTOM_CHALLENGE",
                   "Session": "x", "ChallengeResponses": {"USERNAME": "rita"}}),
        )
        .await;
    assert_eq!((st, err_type(&v)), (400, "InvalidParameterException"), "{v}");
}

/// amazon-cognito-identity-js answers the custom challenges with `sendCustomChallengeAnswer`:
/// without a password (a wrong answer, then a right one), after its own SRP_A start, and a wrong
/// password refused before any question (`tests/node/custom.cjs`).
#[tokio::test]
async fn amazon_cognito_identity_js_answers_custom_challenges() {
    let Some(modules) = crate::node::js_modules_or_skip("amazon_cognito_identity_js_answers_custom_challenges") else {
        return;
    };
    let (fake, app, f, _sink) = custom_app(1, json!({})).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = crate::aws_sdk::isolated_command("node", dir.path());
    cmd.arg(crate::node::script("custom.cjs"))
        .arg(&app.base)
        .env("NODE_PATH", &modules)
        .env("CUSTOM_POOL", &f.pool)
        .env("CUSTOM_CLIENT", &f.client_id)
        .env("CUSTOM_USER", "rita")
        .env("CUSTOM_PASSWORD", PASSWORD);
    let (ok, out, err) = crate::aws_sdk::run_to_end(cmd, dir.path(), "node custom.cjs").await;
    let s = crate::node::summary(ok, &out, &err, "amazon-cognito-identity-js");
    let passed = json!(["custom challenges", "SRP then a custom challenge", "wrong password refused"]);
    assert_eq!(s["passed"], passed, "{s}");
    let verified = fake.events_of("verify");
    assert_eq!(verified.len(), 3, "three answers were checked");
    assert_eq!(verified[0]["request"]["clientMetadata"], json!({"from": "node"}), "the library's metadata arrives");
}
