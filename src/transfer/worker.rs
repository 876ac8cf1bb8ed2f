//! The import worker: on one node at a time (the `user-import` lease), it takes started jobs
//! oldest first and turns their rows into users in batches of [`BATCH`], one transaction each.
//! After every batch the counters and the number of rows done are written, so a job resumes
//! after a restart (on this node or another) from the batch it was in; the batch in flight
//! when a node died is inserted again, and its users, already there, count as skipped.
//! A stop (`Stopping`) is seen at the next batch. `Created` jobs not started within
//! [`super::EXPIRE_AFTER_SECS`] become `Expired`.
//!
//! Counting, as reported: a row that breaks the file's format or the pool's schema is *failed*;
//! a row whose username or sign-in alias is taken (in the pool, or earlier in the file) is
//! *skipped*; the rest are *imported*.

use super::rows::{self, RowError};
use super::{EXPIRE_AFTER_SECS, FAILED, IN_PROGRESS, PENDING, STOPPED, STOPPING, SUCCEEDED, Transfer};
use crate::ids::PoolId;
use crate::store::StoreError;
use crate::store::import_jobs::{ImportJobRow, ImportProgress};
use crate::store::users::NewUser;
use crate::userpool::error::Result;
use crate::userpool::imported_hash::ImportedHash;
use std::collections::BTreeSet;

/// Rows inserted in one transaction.
pub const BATCH: usize = 500;
/// The lease's name and how long one pass holds it (renewed every batch).
const LEASE: &str = "user-import";
const LEASE_SECS: i64 = 60;

impl Transfer {
    /// One pass for node `node`: expire stale jobs, then run every started job to its end (or
    /// its stop). False when another node holds the lease.
    pub async fn run_imports(&self, node: &str) -> Result<bool> {
        let now = self.now();
        if !self.store.take_lease(LEASE, node, now, now + LEASE_SECS).await? {
            return Ok(false);
        }
        self.store.expire_import_jobs(now - EXPIRE_AFTER_SECS, now).await?;
        for job in self.store.import_jobs_to_run().await? {
            if job.status == STOPPING {
                self.finish(&job, &[STOPPING], STOPPED, "Import Job Stopped.").await?;
                continue;
            }
            self.run_job(job, node).await?;
        }
        Ok(true)
    }

    async fn finish(&self, job: &ImportJobRow, from: &[&str], to: &str, message: &str) -> Result<()> {
        let now = self.now();
        self.store.move_import_job(&job.job_id, from, to, None, Some(now), Some(message)).await?;
        tracing::info!(job = %job.job_id, pool = %job.pool_id, status = to, "user import job ended");
        Ok(())
    }

    async fn run_job(&self, job: ImportJobRow, node: &str) -> Result<()> {
        if job.status == PENDING
            && !self.store.move_import_job(&job.job_id, &[PENDING], IN_PROGRESS, None, None, None).await?
        {
            return Ok(());
        }
        let pool = match self.directory.pool(&job.pool_id).await {
            Ok(p) => p,
            Err(e) if e.is_unavailable() => return Err(e),
            Err(_) => return self.finish(&job, &[IN_PROGRESS], FAILED, "The user pool no longer exists.").await,
        };
        let Some(body) = self.store.import_upload(&job.job_id).await? else {
            return self.finish(&job, &[IN_PROGRESS], FAILED, "No CSV file was uploaded.").await;
        };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(body.as_bytes());
        let cols = match reader.headers().map_err(|_| "The CSV header could not be read.".to_string()) {
            Ok(h) => rows::columns(&pool, h),
            Err(m) => Err(m),
        };
        let cols = match cols {
            Ok(c) => c,
            Err(m) => return self.finish(&job, &[IN_PROGRESS], FAILED, &m).await,
        };
        let mut p = ImportProgress {
            rows_done: job.rows_done,
            imported: job.imported_users,
            skipped: job.skipped_users,
            failed: job.failed_users,
        };
        let mut records = reader.records().skip(job.rows_done as usize);
        loop {
            let now = self.now();
            let mut batch: Vec<NewUser> = Vec::with_capacity(BATCH);
            let mut read = 0;
            for record in records.by_ref().take(BATCH) {
                read += 1;
                match record
                    .map_err(|e| RowError::Invalid(e.to_string()))
                    .and_then(|r| rows::parse_row(&pool, &cols, &r, now))
                {
                    Ok(u) => batch.push(u),
                    Err(RowError::Invalid(_)) => p.failed += 1,
                }
            }
            if read == 0 {
                break;
            }
            self.choose_decoy(&pool.id, &batch).await?;
            let (imported, skipped) = self.insert_batch(&batch).await?;
            p.imported += imported;
            p.skipped += skipped;
            p.rows_done += read;
            if !self.store.record_import_progress(&job.job_id, IN_PROGRESS, p).await? {
                // Stopped meanwhile: the counters of this last batch are written with the stop.
                self.store.record_import_progress(&job.job_id, STOPPING, p).await?;
                return self.finish(&job, &[STOPPING], STOPPED, "Import Job Stopped.").await;
            }
            let now = self.now();
            self.store.take_lease(LEASE, node, now, now + LEASE_SECS).await?;
        }
        self.finish(&job, &[IN_PROGRESS], SUCCEEDED, "Import Job Completed Successfully.").await
    }

    /// Before a batch's imported hashes are stored, the pool's decoy must cost at least what
    /// the costliest of them does ([`crate::userpool::decoy::Decoys::consider`]): one hash of each signature is offered.
    async fn choose_decoy(&self, pool_id: &PoolId, batch: &[NewUser]) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (user, _, _) in batch {
            let Some(hash) = user.password_hash.as_deref().and_then(|h| ImportedHash::parse(h).ok()) else {
                continue;
            };
            if seen.insert(hash.signature().to_string()) {
                self.decoys.consider(pool_id, &hash).await?;
            }
        }
        Ok(())
    }

    /// Insert a batch in one transaction; when a username or alias in it is taken, each user
    /// on its own instead, the taken ones skipped. (imported, skipped).
    async fn insert_batch(&self, batch: &[NewUser]) -> Result<(i64, i64)> {
        match self.store.insert_users(batch).await {
            Ok(()) => return Ok((batch.len() as i64, 0)),
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        let (mut imported, mut skipped) = (0, 0);
        for (u, aliases, search) in batch {
            match self.store.insert_user(u, aliases, search).await {
                Ok(()) => imported += 1,
                Err(StoreError::Conflict) => skipped += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok((imported, skipped))
    }
}
