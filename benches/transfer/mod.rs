//! The import/export scenario (`bench/run.sh sqlite transfer`, issue 15): a user import job of
//! N users whose CSV carries password hashes from other systems, driven as a Cognito user would
//! drive it (CreateUserImportJob, PUT to the pre-signed URL, StartUserImportJob, polling
//! DescribeUserImportJob), then sign-ins of imported users with their old password.
//!
//! - `transfer-import`: prints `KEY='value'` lines for the shell script (the pool, the timings,
//!   the counts) after checking that every row was imported.
//!
//! The hashes are made here with the same crates' primitives (bcrypt, scrypt, PBKDF2 through
//! aws-lc-rs, argon2), 16 distinct salts per format, cycled over the rows: the import parses
//! each cell, and the parse cost does not depend on how many distinct hashes there are.

use super::{Res, api_of, arg, field, http, num, print_var};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use serde_json::json;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

const SALTS: usize = 16;

/// `SALTS` hashes of `password` in each of bcrypt (cost 10), scrypt (ln=14, r=8, p=1), PBKDF2-SHA256
/// (i=29000, passlib's default) and argon2id (m=19456, t=2, p=1), as PHC strings.
fn hashes(password: &str) -> Res<Vec<String>> {
    let mut out = Vec::new();
    for i in 0..SALTS {
        let salt: [u8; 16] = std::array::from_fn(|j| (i * 31 + j * 7) as u8);
        out.push(
            bcrypt::hash_with_salt(password, 10, salt)
                .map_err(|e| e.to_string())?
                .format_for_version(bcrypt::Version::TwoB),
        );

        let mut key = [0u8; 32];
        let params = scrypt::Params::new(14, 8, 1).map_err(|e| e.to_string())?;
        scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key).map_err(|e| e.to_string())?;
        out.push(format!("$scrypt$ln=14,r=8,p=1${}${}", B64.encode(salt), B64.encode(key)));

        let rounds = NonZeroU32::new(29_000).expect("non-zero");
        aws_lc_rs::pbkdf2::derive(aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256, rounds, &salt, password.as_bytes(), &mut key);
        out.push(format!("$pbkdf2-sha256$i=29000${}${}", B64.encode(salt), B64.encode(key)));

        let params = Params::new(19_456, 2, 1, Some(32)).map_err(|e| e.to_string())?;
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(password.as_bytes(), &salt, &mut key)
            .map_err(|e| e.to_string())?;
        out.push(format!("$argon2id$v=19$m=19456,t=2,p=1${}${}", B64.encode(salt), B64.encode(key)));
    }
    Ok(out)
}

fn username(i: u64) -> String {
    format!("imported{i:07}")
}

/// One USER_PASSWORD_AUTH sign-in: its time in µs, or the error.
async fn sign_in(http: &reqwest::Client, base: &str, client: &str, user: &str, password: &str) -> Res<u128> {
    let started = Instant::now();
    let body = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                      "AuthParameters": {"USERNAME": user, "PASSWORD": password}});
    let resp = http
        .post(format!("{base}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if status != 200 || !text.contains("AccessToken") {
        return Err(format!("sign-in of {user}: HTTP {status}: {text}"));
    }
    Ok(started.elapsed().as_micros())
}

/// Create a pool and an app client, import `--users` users with hashes through an import job,
/// then sign in `--sign-ins` of them twice each (the first sign-in re-hashes to argon2id).
pub async fn transfer_import(a: &HashMap<String, String>) -> Res<()> {
    let api = api_of(a)?;
    let users = num(a, "users", 100_000);
    let sign_ins = num(a, "sign-ins", 8).min(users);
    let password = arg(a, "password");
    let pool = field(&api.call("CreateUserPool", json!({"PoolName": "bench-transfer"})).await?, &["UserPool", "Id"])?;
    let client = api
        .call(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "app",
                   "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await?;
    let client_id = field(&client, &["UserPoolClient", "ClientId"])?;

    let started = Instant::now();
    let hashes = hashes(&password)?;
    let hashing_us = started.elapsed().as_micros();
    let mut csv = String::from("cognito:username,email,email_verified,given_name,password_hash\n");
    for i in 0..users {
        let name = username(i);
        let hash = &hashes[i as usize % hashes.len()];
        // PHC strings hold commas (`m=19456,t=2,p=1`): the cell is quoted, as any CSV writer does.
        csv.push_str(&format!("{name},{name}@example.com,true,User {i},\"{hash}\"\n"));
    }

    let job = api
        .call(
            "CreateUserImportJob",
            json!({"UserPoolId": pool, "JobName": "bench",
                   "CloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/bench-import"}),
        )
        .await?;
    let job_id = field(&job, &["UserImportJob", "JobId"])?;
    let url = field(&job, &["UserImportJob", "PreSignedUrl"])?;
    let bytes = csv.len();
    let started = Instant::now();
    let resp = http().put(&url).header("x-amz-server-side-encryption", "AES256").body(csv).send().await;
    let resp = resp.map_err(|e| e.to_string())?;
    if resp.status().as_u16() != 200 {
        return Err(format!("upload: HTTP {}: {}", resp.status(), resp.text().await.unwrap_or_default()));
    }
    let upload_us = started.elapsed().as_micros();

    let started = Instant::now();
    api.call("StartUserImportJob", json!({"UserPoolId": pool, "JobId": job_id})).await?;
    let done = loop {
        let v = api.call("DescribeUserImportJob", json!({"UserPoolId": pool, "JobId": job_id})).await?;
        let status = field(&v, &["UserImportJob", "Status"])?;
        if ["Succeeded", "Failed", "Stopped", "Expired"].contains(&status.as_str()) {
            break v;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            return Err(format!("the import did not finish in 30 minutes: {v}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let import_us = started.elapsed().as_micros();
    let job = &done["UserImportJob"];
    if job["Status"] != "Succeeded" || job["ImportedUsers"] != users || job["FailedUsers"] != 0 {
        return Err(format!("the import did not import every row: {job}"));
    }

    // Sign-ins spread over the formats: the first re-hashes to argon2id, the second is a plain one.
    let http = http();
    let base = arg(a, "base");
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for k in 0..sign_ins {
        let user = username(k * (users / sign_ins.max(1)) + k % 4);
        first.push(sign_in(&http, &base, &client_id, &user, &password).await?);
        second.push(sign_in(&http, &base, &client_id, &user, &password).await?);
    }
    first.sort_unstable();
    second.sort_unstable();
    let median = |v: &[u128]| v.get(v.len() / 2).copied().unwrap_or(0);

    print_var("POOL", &pool)?;
    print_var("CSV_BYTES", &bytes.to_string())?;
    print_var("HASHING_US", &hashing_us.to_string())?;
    print_var("UPLOAD_US", &upload_us.to_string())?;
    print_var("IMPORT_US", &import_us.to_string())?;
    print_var("FIRST_SIGN_IN_US", &median(&first).to_string())?;
    print_var("SECOND_SIGN_IN_US", &median(&second).to_string())?;
    print_var("SIGN_INS", &sign_ins.to_string())?;
    Ok(())
}
