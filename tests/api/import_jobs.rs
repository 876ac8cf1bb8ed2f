//! Cognito's user import jobs through the JSON API: the CSV header, a job created, its file PUT
//! to the pre-signed URL this server serves (as curl -T does, with the encryption header
//! Cognito's guide sends), started, run in the background to `Succeeded` with good, bad and
//! duplicate rows counted; imported users must reset their password; stops, list pages,
//! refused uploads (foreign or expired token, too large, after the start) and a job resumed
//! where a node that died left it.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use portcullis::clock::Clock;
use serde_json::{Value, json};

pub const ROLE_ARN: &str = "arn:aws:iam::000000000000:role/CognitoImportRole";

/// Create a job in `pool`: (JobId, PreSignedUrl).
pub async fn create_job(app: &TestApp, pool: &str, name: &str) -> (String, String) {
    let v = app
        .ok("CreateUserImportJob", json!({"UserPoolId": pool, "JobName": name, "CloudWatchLogsRoleArn": ROLE_ARN}))
        .await;
    let job = &v["UserImportJob"];
    (job["JobId"].as_str().unwrap().to_string(), job["PreSignedUrl"].as_str().unwrap().to_string())
}

/// PUT a file to a pre-signed URL as Cognito's guide does with curl: (status, body).
pub async fn upload(app: &TestApp, url: &str, csv: &str) -> (u16, String) {
    let r =
        app.http.put(url).header("x-amz-server-side-encryption", "AES256").body(csv.to_string()).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A management call signed at the server's (test) clock, which these tests move past the
/// 15 minutes a signature is good for.
pub async fn call(app: &TestApp, action: &str, body: Value) -> (u16, Value) {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(app.clock.now() as u64);
    app.api_signed(action, body, ACCESS_KEY, SECRET_KEY, at).await
}

/// A clock-signed call that must succeed.
pub async fn ok(app: &TestApp, action: &str, body: Value) -> Value {
    let (status, v) = call(app, action, body).await;
    assert_eq!(status, 200, "{action} failed: {v}");
    v
}

pub async fn describe(app: &TestApp, pool: &str, job: &str) -> Value {
    let (status, v) = call(app, "DescribeUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    assert_eq!(status, 200, "{v}");
    v["UserImportJob"].clone()
}

/// Hold the import worker's lease as another node would (one that then dies): this server's
/// worker renews its own lease every second, so the clock is moved past it until ours is taken.
pub async fn hold_worker_lease(app: &TestApp, node: &str) {
    for _ in 0..50 {
        app.clock.advance_secs(61);
        let now = app.clock.now();
        if app.services.store.take_lease("user-import", node, now, now + 60).await.unwrap() {
            return;
        }
    }
    panic!("the worker's lease could not be taken");
}

/// Poll until the job ends (the worker looks every second): the job.
pub async fn wait_for_end(app: &TestApp, pool: &str, job: &str) -> Value {
    for _ in 0..300 {
        let j = describe(app, pool, job).await;
        if ["Succeeded", "Failed", "Stopped", "Expired"].contains(&j["Status"].as_str().unwrap()) {
            return j;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the job did not end: {}", describe(app, pool, job).await);
}

/// Create, upload, start and wait: the ended job.
pub async fn import(app: &TestApp, pool: &str, csv: &str) -> Value {
    let (job, url) = create_job(app, pool, "import").await;
    assert_eq!(upload(app, &url, csv).await.0, 200);
    let started = ok(app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    assert_eq!(started["UserImportJob"]["Status"], "Pending");
    wait_for_end(app, pool, &job).await
}

fn header_of(app_header: &Value) -> Vec<String> {
    app_header["CSVHeader"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// A CSV row for `header` with the given values, empty elsewhere.
pub fn row(header: &[String], values: &[(&str, &str)]) -> String {
    let field = |c: &String| values.iter().find(|(n, _)| n == c).map(|(_, v)| v.to_string()).unwrap_or_default();
    header.iter().map(field).collect::<Vec<_>>().join(",")
}

#[tokio::test]
async fn the_header_is_cognitos_and_good_bad_and_duplicate_rows_are_counted() {
    let (app, sink) = spawn_with_mail().await;
    let pool = app
        .create_pool(json!({
            "AliasAttributes": ["email"],
            "Schema": [{"Name": "plan", "AttributeDataType": "String", "Mutable": true}],
        }))
        .await;
    let flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"];
    let (client, _) = app.create_client(&pool, false, json!({"ExplicitAuthFlows": flows})).await;
    let v = ok(&app, "GetCSVHeader", json!({"UserPoolId": pool})).await;
    assert_eq!(v["UserPoolId"], pool);
    let header = header_of(&v);
    let expected = "name,given_name,family_name,middle_name,nickname,preferred_username,profile,picture,website,\
                    email,email_verified,gender,birthdate,zoneinfo,locale,phone_number,phone_number_verified,\
                    address,updated_at,custom:plan,cognito:mfa_enabled,cognito:username";
    assert_eq!(header.join(","), expected);

    let (job, url) = create_job(&app, &pool, "first batch").await;
    assert!(job.starts_with("import-"), "{job}");
    assert!(url.starts_with(&format!("{}/user-import-uploads/{job}?token=", app.base)), "{url}");
    let created = describe(&app, &pool, &job).await;
    assert_eq!(created["Status"], "Created");
    assert_eq!(created["JobName"], "first batch");
    assert_eq!(created["CloudWatchLogsRoleArn"], ROLE_ARN);
    assert!(created["CreationDate"].is_number() && created["StartDate"].is_null(), "{created}");
    assert!(!created["PreSignedUrl"].as_str().unwrap().contains("token="), "the token is shown once");

    let rows = [
        row(
            &header,
            &[
                ("cognito:username", "alice"),
                ("email", "alice@example.com"),
                ("email_verified", "true"),
                ("custom:plan", "gold"),
                ("given_name", "Alice"),
            ],
        ),
        row(
            &header,
            &[
                ("cognito:username", "bob"),
                ("email", "bob@example.com"),
                ("email_verified", "TRUE"),
                ("cognito:mfa_enabled", "false"),
            ],
        ),
        // Bad: no username; an e-mail that is not one; a Boolean that is not; MFA without a phone.
        row(&header, &[("email", "nobody@example.com")]),
        row(&header, &[("cognito:username", "carl"), ("email", "not-an-address")]),
        row(&header, &[("cognito:username", "dora"), ("email_verified", "maybe")]),
        row(&header, &[("cognito:username", "erin"), ("cognito:mfa_enabled", "true")]),
        // Duplicates: alice again, and another user claiming alice's verified e-mail alias.
        row(&header, &[("cognito:username", "alice")]),
        row(&header, &[("cognito:username", "alicia"), ("email", "alice@example.com"), ("email_verified", "true")]),
    ];
    let csv = format!("{}\n{}\n", header.join(","), rows.join("\n"));
    assert_eq!(upload(&app, &url, &csv).await.0, 200);
    ok(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    let done = wait_for_end(&app, &pool, &job).await;
    assert_eq!(done["Status"], "Succeeded", "{done}");
    assert_eq!(
        (done["ImportedUsers"].as_i64(), done["FailedUsers"].as_i64(), done["SkippedUsers"].as_i64()),
        (Some(2), Some(4), Some(2)),
        "{done}"
    );
    assert!(done["StartDate"].is_number() && done["CompletionDate"].is_number(), "{done}");
    assert_eq!(done["CompletionMessage"], "Import Job Completed Successfully.");

    let alice = ok(&app, "AdminGetUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(alice["UserStatus"], "RESET_REQUIRED");
    let attrs = attr_map(&alice["UserAttributes"]);
    assert_eq!(
        (attrs["custom:plan"].as_str(), attrs["given_name"].as_str(), attrs["email_verified"].as_str()),
        (Some("gold"), Some("Alice"), Some("true"))
    );
    assert!(attrs["sub"].as_str().is_some_and(|s| s.len() == 36));
    let bob = ok(&app, "AdminGetUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(attr_map(&bob["UserAttributes"])["email_verified"], "true", "a Boolean in any case is stored as true");
    for gone in ["carl", "dora", "erin", "alicia"] {
        let (status, v) = call(&app, "AdminGetUser", json!({"UserPoolId": pool, "Username": gone})).await;
        assert_eq!((status, err_type(&v)), (400, "UserNotFoundException"), "{gone}");
    }

    // The first sign-in asks for a reset; ForgotPassword mails a code and the new password works,
    // by the e-mail alias too.
    let (status, v) = initiate_auth(&app, &client, "alice", "Any-Passw0rd!").await;
    assert_eq!((status, err_type(&v)), (400, "PasswordResetRequiredException"), "{v}");
    let (status, v) = crate::srp::start(&app, &client, "alice", &crate::srp::SrpClient::new()).await;
    assert_eq!((status, err_type(&v)), (400, "PasswordResetRequiredException"), "SRP too: {v}");
    let (status, v) = app.public_api("ForgotPassword", json!({"ClientId": client, "Username": "alice"})).await;
    assert_eq!(status, 200, "{v}");
    let code = sink.nth_to("alice@example.com", 0).await.code();
    let reset = json!({"ClientId": client, "Username": "alice", "ConfirmationCode": code, "Password": "New-Passw0rd!"});
    let (status, v) = app.public_api("ConfirmForgotPassword", reset).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = initiate_auth(&app, &client, "alice@example.com", "New-Passw0rd!").await;
    assert_eq!(status, 200, "{v}");
    assert!(v["AuthenticationResult"]["AccessToken"].is_string());
}

#[tokio::test]
async fn a_header_with_an_unknown_column_or_no_username_fails_the_job() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    for (csv, message) in [
        ("cognito:username,shoe_size\nann,42\n", "Unknown column in the CSV header: shoe_size"),
        ("email\nann@example.com\n", "The CSV header has no cognito:username column."),
    ] {
        let done = import(&app, &pool, csv).await;
        assert_eq!(done["Status"], "Failed", "{done}");
        assert_eq!(done["CompletionMessage"], message);
        assert_eq!(done["ImportedUsers"], 0);
    }
    let (status, v) = call(&app, "AdminGetUser", json!({"UserPoolId": pool, "Username": "ann"})).await;
    assert_eq!((status, err_type(&v)), (400, "UserNotFoundException"));
}

#[tokio::test]
async fn uploads_with_a_foreign_or_expired_token_too_large_or_after_the_start_are_refused() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (job, url) = create_job(&app, &pool, "guarded").await;
    let (other, other_url) = create_job(&app, &pool, "other").await;
    let csv = "cognito:username\nann\n";

    // Starting before a file is uploaded.
    let (status, v) = call(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    assert_eq!((status, err_type(&v)), (400, "PreconditionNotMetException"), "{v}");

    // Another job's token, a made-up one, none.
    let foreign = other_url.replace(&other, &job);
    let base = url.split('?').next().unwrap().to_string();
    for bad in [foreign, format!("{base}?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), base.clone()] {
        let (status, body) = upload(&app, &bad, csv).await;
        assert_eq!(status, 403, "{bad}: {body}");
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    }

    // Larger than 100 MB, as declared: refused before the body is read.
    let declared = 100 * 1024 * 1024 + 1;
    let path = url.trim_start_matches(&app.base).to_string();
    let answer = raw_put(app.port, &path, declared).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("<Code>EntityTooLarge</Code>"), "{answer}");

    // Not UTF-8.
    let r = app.http.put(&url).body(vec![0xff_u8, 0xfe, 0x00]).send().await.unwrap();
    assert_eq!(r.status(), 400);

    // The right token works, and once the job has started the file cannot change.
    assert_eq!(upload(&app, &url, csv).await.0, 200);
    ok(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    let (status, body) = upload(&app, &url, csv).await;
    assert_eq!(status, 409, "{body}");
    let (status, v) = call(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    assert_eq!((status, err_type(&v)), (400, "PreconditionNotMetException"), "a second start: {v}");

    // Fifteen minutes on, the other job's URL has expired; a day on, the job itself.
    app.clock.advance_secs(901);
    let (status, body) = upload(&app, &other_url, csv).await;
    assert_eq!(status, 403);
    assert!(body.contains("Request has expired"), "{body}");
    app.clock.advance_secs(86_400);
    let expired = wait_for_end(&app, &pool, &other).await;
    assert_eq!(expired["Status"], "Expired", "{expired}");
    let (status, v) = call(&app, "DescribeUserImportJob", json!({"UserPoolId": pool, "JobId": "import-nothere"})).await;
    assert_eq!((status, err_type(&v)), (400, "ResourceNotFoundException"));
}

/// A PUT with a declared length and no body, on a raw connection: the answer's text.
async fn raw_put(port: u16, path: &str, length: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!("PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {length}\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf)).await.unwrap().unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_started_job_stops_and_jobs_are_listed_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    // Another node holds the worker's lease, so a started job waits; the stop is seen when the
    // lease runs out and this node's worker takes over.
    hold_worker_lease(&app, "busy-node").await;
    let mut jobs = Vec::new();
    for i in 0..3 {
        jobs.push(create_job(&app, &pool, &format!("job {i}")).await);
        app.clock.advance_secs(1);
    }
    let (first, url) = &jobs[0];
    let (status, v) = call(&app, "StopUserImportJob", json!({"UserPoolId": pool, "JobId": first})).await;
    assert_eq!((status, err_type(&v)), (400, "PreconditionNotMetException"), "a Created job cannot stop: {v}");

    assert_eq!(upload(&app, url, "cognito:username\nann\n").await.0, 200);
    ok(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": first})).await;
    // While it runs, the pool's schema, settings and existence stay as they are.
    for (action, extra) in [
        ("UpdateUserPool", json!({})),
        ("AddCustomAttributes", json!({"CustomAttributes": [{"Name": "late", "AttributeDataType": "String"}]})),
        ("DeleteUserPool", json!({})),
    ] {
        let mut body = json!({"UserPoolId": pool});
        merge(&mut body, extra);
        let (status, v) = call(&app, action, body).await;
        assert_eq!((status, err_type(&v)), (400, "UserImportInProgressException"), "{action}: {v}");
    }
    let (_, v) = call(&app, "StopUserImportJob", json!({"UserPoolId": pool, "JobId": first})).await;
    assert_eq!(v["UserImportJob"]["Status"], "Stopping");
    app.clock.advance_secs(61);
    let stopped = wait_for_end(&app, &pool, first).await;
    assert_eq!(stopped["Status"], "Stopped", "{stopped}");
    assert_eq!(stopped["ImportedUsers"], 0);
    assert!(stopped["CompletionDate"].is_number());
    ok(&app, "UpdateUserPool", json!({"UserPoolId": pool})).await;

    let page = ok(&app, "ListUserImportJobs", json!({"UserPoolId": pool, "MaxResults": 2})).await;
    let names: Vec<_> = page["UserImportJobs"].as_array().unwrap().iter().map(|j| j["JobName"].clone()).collect();
    assert_eq!(names, [json!("job 0"), json!("job 1")]);
    let token = page["PaginationToken"].as_str().expect("a next page").to_string();
    let rest =
        ok(&app, "ListUserImportJobs", json!({"UserPoolId": pool, "MaxResults": 2, "PaginationToken": token})).await;
    assert_eq!(rest["UserImportJobs"].as_array().unwrap().len(), 1);
    assert_eq!(rest["UserImportJobs"][0]["JobId"], jobs[2].0.as_str());
    assert!(rest.get("PaginationToken").is_none(), "{rest}");
    for bad in [0, 61] {
        let (status, v) = call(&app, "ListUserImportJobs", json!({"UserPoolId": pool, "MaxResults": bad})).await;
        assert_eq!((status, err_type(&v)), (400, "InvalidParameterException"), "{bad}");
    }
}

#[tokio::test]
async fn a_job_left_in_progress_by_a_node_that_died_resumes_where_it_stopped() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    // A node took the job, imported its first batch (500 rows) and died holding the lease.
    hold_worker_lease(&app, "dead-node").await;
    let (job, url) = create_job(&app, &pool, "big").await;
    let names: Vec<String> = (0..1200).map(|i| format!("user{i:04}")).collect();
    assert_eq!(upload(&app, &url, &format!("cognito:username\n{}\n", names.join("\n"))).await.0, 200);
    let store = &app.services.store;
    ok(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    assert!(store.move_import_job(&job, &["Pending"], "InProgress", None, None, None).await.unwrap());
    let progress =
        portcullis::store::import_jobs::ImportProgress { rows_done: 500, imported: 500, skipped: 0, failed: 0 };
    assert!(store.record_import_progress(&job, "InProgress", progress).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(describe(&app, &pool, &job).await["Status"], "InProgress", "the lease is still held");

    app.clock.advance_secs(61);
    let done = wait_for_end(&app, &pool, &job).await;
    assert_eq!(done["Status"], "Succeeded", "{done}");
    assert_eq!(done["ImportedUsers"], 1200);
    // The rows before the resume point were not read again; the rest were.
    let (status, _) = call(&app, "AdminGetUser", json!({"UserPoolId": pool, "Username": "user0499"})).await;
    assert_eq!(status, 400, "row 499 was done by the node that died");
    for name in ["user0500", "user1199"] {
        let u = ok(&app, "AdminGetUser", json!({"UserPoolId": pool, "Username": name})).await;
        assert_eq!(u["UserStatus"], "RESET_REQUIRED");
    }

    // The export reads them back a page (500) at a time, users created in the same second
    // told apart by their sub: each once.
    use futures_util::StreamExt;
    use portcullis::transfer::export::{ExportFormat, ExportOptions};
    let opts = ExportOptions { format: ExportFormat::JsonLines, include_hashes: false };
    let pool_id = portcullis::ids::PoolId::parse(&pool).unwrap();
    let chunks: Vec<String> =
        app.services.transfer.export(&pool_id, opts).await.unwrap().map(|c| c.unwrap()).collect().await;
    assert!(chunks.len() >= 2, "more than one page");
    let mut names: Vec<String> = chunks
        .concat()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["Username"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 700);
}

/// The import of 100,000 users (username, e-mail verified, a name), timed: run on purpose with
/// `cargo test --release --test api -- --ignored --nocapture import_of_100k_users`.
#[tokio::test]
#[ignore]
async fn import_of_100k_users() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"AliasAttributes": ["email"]})).await;
    let mut csv = String::from("cognito:username,email,email_verified,given_name\n");
    for i in 0..100_000 {
        csv.push_str(&format!("user{i:06},user{i:06}@example.com,true,User {i}\n"));
    }
    let (job, url) = create_job(&app, &pool, "100k").await;
    let started = std::time::Instant::now();
    assert_eq!(upload(&app, &url, &csv).await.0, 200);
    let uploaded = started.elapsed();
    ok(&app, "StartUserImportJob", json!({"UserPoolId": pool, "JobId": job})).await;
    let mut done = describe(&app, &pool, &job).await;
    while !["Succeeded", "Failed", "Stopped"].contains(&done["Status"].as_str().unwrap()) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        done = describe(&app, &pool, &job).await;
    }
    let total = started.elapsed();
    assert_eq!(done["ImportedUsers"], 100_000, "{done}");
    println!(
        "import of 100000 users on {}: upload of {:.1} MB in {:.2?}, upload to Succeeded in {:.2?} ({:.0} users/s)",
        backend(),
        csv.len() as f64 / 1e6,
        uploaded,
        total,
        100_000.0 / total.as_secs_f64()
    );
}
