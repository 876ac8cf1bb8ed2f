//! Users in and out of a pool: Cognito's user import jobs (GetCSVHeader, CreateUserImportJob,
//! StartUserImportJob, StopUserImportJob, DescribeUserImportJob, ListUserImportJobs) with the
//! CSV uploaded to a pre-signed URL this server serves itself, the background worker that turns
//! rows into users ([`worker`]), and the export of a pool's users as CSV or JSON lines
//! ([`export`]), which goes beyond Cognito.
//!
//! A job's life, as Cognito's: `Created` (the upload URL is valid for [`UPLOAD_URL_SECS`]; a
//! job not started within [`EXPIRE_AFTER_SECS`] becomes `Expired`) → `Pending` (started) →
//! `InProgress` → `Succeeded` or `Failed`; StopUserImportJob moves a started job to
//! `Stopping`, and the worker to `Stopped` at its next batch.

pub mod export;
pub mod rows;
pub mod worker;

use crate::clock::Clock;
use crate::crypto::{SecretToken, TokenHash};
use crate::ids::PoolId;
use crate::services::Infra;
use crate::store::Store;
use crate::store::import_jobs::ImportJobRow;
use crate::userpool::decoy::Decoys;
use crate::userpool::directory::Directory;
use crate::userpool::error::{Error, Message, Result};
use std::sync::Arc;

/// How long a job's pre-signed upload URL is valid (Cognito's S3 URLs: 15 minutes).
pub const UPLOAD_URL_SECS: i64 = 900;
/// A job created and not started within this long expires (Cognito: "24-48 hours").
pub const EXPIRE_AFTER_SECS: i64 = 86_400;
/// The largest CSV a job accepts (Cognito: 100 MB).
pub const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;
/// The most jobs a pool keeps (Cognito: 1,000 jobs a pool).
pub const MAX_JOBS_PER_POOL: i64 = 1000;
/// The path of the upload URL; the job id follows it, the token is in the query.
pub const UPLOAD_PATH: &str = "/user-import-uploads";

pub const CREATED: &str = "Created";
pub const PENDING: &str = "Pending";
pub const IN_PROGRESS: &str = "InProgress";
pub const STOPPING: &str = "Stopping";
pub const STOPPED: &str = "Stopped";
pub const SUCCEEDED: &str = "Succeeded";
pub const FAILED: &str = "Failed";
pub const EXPIRED: &str = "Expired";

/// Import jobs and exports.
pub struct Transfer {
    store: Store,
    clock: Arc<dyn Clock>,
    directory: Arc<Directory>,
    decoys: Arc<Decoys>,
    public_url: String,
}

/// A job as CreateUserImportJob, DescribeUserImportJob and the others answer it.
#[derive(Debug, Clone)]
pub struct ImportJob {
    pub row: ImportJobRow,
    /// The upload URL without its token (the token is shown once, by CreateUserImportJob).
    pub upload_url: String,
}

/// What CreateUserImportJob is given.
#[derive(Debug, Clone)]
pub struct NewImportJob {
    pub job_name: String,
    pub role_arn: String,
    pub hashing_algorithm: Option<String>,
}

/// Why an upload is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadRefused {
    /// No job has this token (or the token is not the job's).
    UnknownToken,
    /// The URL is past its expiry.
    Expired,
    /// The job has been started (or has ended): its file can no longer change.
    JobStarted,
    /// The body is not UTF-8 text.
    NotText,
}

fn job_not_found(job_id: &str) -> Error {
    Error::ResourceNotFound(Message::Text(format!("Import job {job_id} does not exist.")))
}

fn precondition(text: &str) -> Error {
    Error::PreconditionNotMet(Message::Text(text.to_string()))
}

impl Transfer {
    pub fn new(infra: &Infra) -> Self {
        Transfer {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            directory: infra.directory.clone(),
            decoys: infra.decoys.clone(),
            public_url: infra.config.public_url.trim_end_matches('/').to_string(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn view(&self, row: ImportJobRow) -> ImportJob {
        let upload_url = format!("{}{UPLOAD_PATH}/{}", self.public_url, row.job_id);
        ImportJob { row, upload_url }
    }

    /// GetCSVHeader: the columns of an import file for this pool, in Cognito's order.
    pub async fn csv_header(&self, pool_id: &PoolId) -> Result<Vec<String>> {
        let pool = self.directory.pool(pool_id).await?;
        Ok(rows::header(&pool))
    }

    /// CreateUserImportJob: a `Created` job and its pre-signed URL (with the token, shown
    /// only here: the store keeps its SHA-256).
    pub async fn create_job(&self, pool_id: &PoolId, new: NewImportJob) -> Result<(ImportJob, String)> {
        self.directory.pool(pool_id).await?;
        if self.store.count_import_jobs(pool_id).await? >= MAX_JOBS_PER_POOL {
            return Err(Error::LimitExceeded(Message::Text(format!(
                "The user pool has reached its limit of {MAX_JOBS_PER_POOL} import jobs."
            ))));
        }
        let now = self.now();
        let token = SecretToken::generate();
        let row = ImportJobRow {
            job_id: format!(
                "import-{}",
                crate::crypto::random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 10)
            ),
            pool_id: pool_id.clone(),
            job_name: new.job_name,
            role_arn: new.role_arn,
            hashing_algorithm: new.hashing_algorithm,
            status: CREATED.into(),
            upload_token_hash: token.hash(),
            upload_expires_at: now + UPLOAD_URL_SECS,
            uploaded: false,
            rows_done: 0,
            imported_users: 0,
            skipped_users: 0,
            failed_users: 0,
            completion_message: None,
            created_at: now,
            started_at: None,
            completed_at: None,
        };
        self.store.insert_import_job(&row).await?;
        let job = self.view(row);
        let url = format!("{}?token={}", job.upload_url, token.into_clear());
        Ok((job, url))
    }

    pub async fn describe_job(&self, pool_id: &PoolId, job_id: &str) -> Result<ImportJob> {
        self.directory.pool(pool_id).await?;
        let row = self.store.get_import_job(pool_id, job_id).await?.ok_or_else(|| job_not_found(job_id))?;
        Ok(self.view(row))
    }

    /// ListUserImportJobs: a page of the pool's jobs in creation order and the token for the next.
    pub async fn list_jobs(
        &self,
        pool_id: &PoolId,
        limit: i64,
        token: Option<&str>,
    ) -> Result<(Vec<ImportJob>, Option<String>)> {
        self.directory.pool(pool_id).await?;
        let after = match token {
            None => None,
            Some(t) => Some(parse_cursor(t).ok_or_else(|| Error::invalid("Invalid pagination token."))?),
        };
        let rows = self.store.list_import_jobs(pool_id, limit, after).await?;
        let (rows, next) = crate::store::page(rows, limit, |r| format!("{}.{}", r.created_at, r.job_id));
        Ok((rows.into_iter().map(|r| self.view(r)).collect(), next))
    }

    /// StartUserImportJob: a `Created` job with its file uploaded becomes `Pending`; the worker
    /// takes it from there.
    pub async fn start_job(&self, pool_id: &PoolId, job_id: &str) -> Result<ImportJob> {
        let job = self.describe_job(pool_id, job_id).await?;
        if job.row.status != CREATED {
            return Err(precondition(&format!("The import job is {}; only a Created job can start.", job.row.status)));
        }
        if !job.row.uploaded {
            return Err(precondition("No CSV file has been uploaded to the job's pre-signed URL."));
        }
        let now = self.now();
        if !self.store.move_import_job(job_id, &[CREATED], PENDING, Some(now), None, None).await? {
            return Err(precondition("The import job changed state meanwhile."));
        }
        self.describe_job(pool_id, job_id).await
    }

    /// StopUserImportJob: a started job stops at the worker's next batch.
    pub async fn stop_job(&self, pool_id: &PoolId, job_id: &str) -> Result<ImportJob> {
        let job = self.describe_job(pool_id, job_id).await?;
        if !self.store.move_import_job(job_id, &[PENDING, IN_PROGRESS], STOPPING, None, None, None).await? {
            return Err(precondition(&format!(
                "The import job is {}; only a Pending or InProgress job can stop.",
                job.row.status
            )));
        }
        self.describe_job(pool_id, job_id).await
    }

    /// Keep a CSV PUT to a job's pre-signed URL. The token is looked up by its hash and
    /// compared again in constant time; an expired URL or a started job refuses it.
    pub async fn upload(
        &self,
        job_id: &str,
        token: &str,
        body: &[u8],
    ) -> Result<std::result::Result<(), UploadRefused>> {
        let hash = TokenHash::of(token);
        let Some(job) = self.store.import_job_by_token(&hash).await? else {
            return Ok(Err(UploadRefused::UnknownToken));
        };
        if !(job.upload_token_hash.ct_eq(&hash)
            && crate::crypto::constant_time_eq(job.job_id.as_bytes(), job_id.as_bytes()))
        {
            return Ok(Err(UploadRefused::UnknownToken));
        }
        if job.upload_expires_at <= self.now() {
            return Ok(Err(UploadRefused::Expired));
        }
        let Ok(text) = std::str::from_utf8(body) else {
            return Ok(Err(UploadRefused::NotText));
        };
        // A byte-order mark (spreadsheets write one) is not part of the first column's name.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if !self.store.store_import_upload(&job.job_id, text).await? {
            return Ok(Err(UploadRefused::JobStarted));
        }
        Ok(Ok(()))
    }
}

/// A ListUserImportJobs token: `{created_at}.{job_id}`.
fn parse_cursor(t: &str) -> Option<(i64, String)> {
    let (at, id) = t.split_once('.')?;
    Some((at.parse().ok()?, id.to_string()))
}
