-- User import jobs (CreateUserImportJob): one row per job with its counters and state, and the
-- CSV uploaded to its pre-signed URL in a table of its own (read only by the worker, so listing
-- and describing jobs never loads it). The upload token is kept as its SHA-256 only. rows_done
-- counts the data rows already handled: a job resumed after a restart continues from there.
CREATE TABLE user_import_jobs (
    job_id              TEXT PRIMARY KEY,
    pool_id             TEXT NOT NULL REFERENCES user_pools(id) ON DELETE CASCADE,
    job_name            TEXT NOT NULL,
    role_arn            TEXT NOT NULL,
    hashing_algorithm   TEXT,
    status              TEXT NOT NULL,
    upload_token_hash   TEXT NOT NULL,
    upload_expires_at   BIGINT NOT NULL,
    uploaded            BIGINT NOT NULL DEFAULT 0,
    rows_done           BIGINT NOT NULL DEFAULT 0,
    imported_users      BIGINT NOT NULL DEFAULT 0,
    skipped_users       BIGINT NOT NULL DEFAULT 0,
    failed_users        BIGINT NOT NULL DEFAULT 0,
    completion_message  TEXT,
    created_at          BIGINT NOT NULL,
    started_at          BIGINT,
    completed_at        BIGINT
);
CREATE INDEX user_import_jobs_pool ON user_import_jobs(pool_id, created_at, job_id);
CREATE INDEX user_import_jobs_status ON user_import_jobs(status);
CREATE UNIQUE INDEX user_import_jobs_token ON user_import_jobs(upload_token_hash);

CREATE TABLE user_import_uploads (
    job_id  TEXT PRIMARY KEY REFERENCES user_import_jobs(job_id) ON DELETE CASCADE,
    body    TEXT NOT NULL
);
