//! User import jobs: GetCSVHeader, CreateUserImportJob, StartUserImportJob, StopUserImportJob,
//! DescribeUserImportJob and ListUserImportJobs (SigV4-signed). The rules are
//! [`crate::transfer`]'s; this file reads the members and renders `UserImportJobType`,
//! timestamps in epoch seconds.
//!
//! `PreSignedUrl` carries its upload token only in CreateUserImportJob's answer: the server
//! keeps the token's SHA-256, so later answers show the URL without it.

use super::{ApiResult, pool_id_in, s};
use crate::services::Services;
use crate::transfer::{ImportJob, NewImportJob};
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub transfer: &'a crate::transfer::Transfer,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { transfer: &svc.transfer }
    }
}

pub const ACTIONS: &[&str] = &[
    "GetCSVHeader",
    "CreateUserImportJob",
    "StartUserImportJob",
    "StopUserImportJob",
    "DescribeUserImportJob",
    "ListUserImportJobs",
];

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    let t = svc.transfer;
    let pool_id = pool_id_in(i)?;
    let job_id = s(i, "JobId");
    match action {
        "GetCSVHeader" => Ok(json!({"UserPoolId": pool_id, "CSVHeader": t.csv_header(&pool_id).await?})),
        "CreateUserImportJob" => {
            let new = NewImportJob {
                job_name: s(i, "JobName").to_string(),
                role_arn: s(i, "CloudWatchLogsRoleArn").to_string(),
                hashing_algorithm: i["PasswordHashingAlgorithm"].as_str().map(str::to_string),
            };
            let (job, url) = t.create_job(&pool_id, new).await?;
            let mut out = job_json(&job);
            out["PreSignedUrl"] = json!(url);
            Ok(json!({"UserImportJob": out}))
        }
        "StartUserImportJob" => Ok(json!({"UserImportJob": job_json(&t.start_job(&pool_id, job_id).await?)})),
        "StopUserImportJob" => Ok(json!({"UserImportJob": job_json(&t.stop_job(&pool_id, job_id).await?)})),
        "DescribeUserImportJob" => Ok(json!({"UserImportJob": job_json(&t.describe_job(&pool_id, job_id).await?)})),
        "ListUserImportJobs" => {
            let limit = i["MaxResults"].as_i64().unwrap_or(60).clamp(1, 60);
            let token = i["PaginationToken"].as_str().filter(|t| !t.is_empty());
            let (jobs, next) = t.list_jobs(&pool_id, limit, token).await?;
            let mut out = json!({"UserImportJobs": jobs.iter().map(job_json).collect::<Vec<_>>()});
            if let Some(n) = next {
                out["PaginationToken"] = json!(n);
            }
            Ok(out)
        }
        _ => Err(super::unsupported(action)),
    }
}

/// Cognito's `UserImportJobType`; dates absent until they happen.
fn job_json(j: &ImportJob) -> Value {
    let r = &j.row;
    let mut o = json!({
        "JobName": r.job_name,
        "JobId": r.job_id,
        "UserPoolId": r.pool_id,
        "PreSignedUrl": j.upload_url,
        "CreationDate": r.created_at,
        "Status": r.status,
        "CloudWatchLogsRoleArn": r.role_arn,
        "ImportedUsers": r.imported_users,
        "SkippedUsers": r.skipped_users,
        "FailedUsers": r.failed_users,
    });
    if let Some(d) = r.started_at {
        o["StartDate"] = json!(d);
    }
    if let Some(d) = r.completed_at {
        o["CompletionDate"] = json!(d);
    }
    if let Some(m) = &r.completion_message {
        o["CompletionMessage"] = json!(m);
    }
    if let Some(a) = &r.hashing_algorithm {
        o["PasswordHashingAlgorithm"] = json!(a);
    }
    o
}
