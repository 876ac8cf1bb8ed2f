//! IAM rows: roles (CreateRole), their inline policies (PutRolePolicy), and the temporary
//! credentials vended for them (AssumeRoleWithWebIdentity, GetCredentialsForIdentity).
//!
//! Role names are unique regardless of case, as in IAM: every lookup here is by
//! `lower(name)`, and callers use the stored spelling (`RoleRow::name`) for everything after.

use super::{Store, StoreResult, conflict};
use crate::crypto::TokenHash;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleRow {
    pub name: String,
    /// `AROA…`: names the role in assumed-role ids, and tells a role from a later one of the same name.
    pub role_id: String,
    /// `/` or `/…/`.
    pub path: String,
    /// The trust policy as given (JSON text, URL-decoded).
    pub assume_role_policy: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RolePolicyRow {
    pub role_name: String,
    pub policy_name: String,
    /// JSON text as given (URL-decoded).
    pub document: String,
}

/// Temporary credentials: the secret sealed with the master key, the session token only as
/// its SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TemporaryCredentialRow {
    pub access_key_id: String,
    pub secret_enc: String,
    pub session_token_hash: TokenHash,
    pub role_name: String,
    pub session_name: String,
    /// The web identity's `sub` (an identity id for identity-pool credentials).
    pub subject: String,
    /// The web identity's `aud` (an identity pool id, or a user-pool client id).
    pub audience: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The `role_id` of the role they were vended for (absent on rows from before it was kept).
    pub role_id: Option<String>,
}

/// What [`Store::delete_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleDeletion {
    Deleted,
    NotFound,
    /// The role still has inline policies; nothing was deleted.
    HasPolicies,
    /// The role still has managed policies attached; nothing was deleted.
    HasAttachedPolicies,
}

impl Store {
    /// Insert a role; [`super::StoreError::Conflict`] when its name or id is taken. Callers check
    /// the case-insensitive name first ([`Store::get_role`]); the primary key catches a race
    /// between two identical names.
    pub async fn insert_role(&self, r: &RoleRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO iam_roles (name, role_id, path, assume_role_policy, description, max_session_duration, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&r.name)
        .bind(&r.role_id)
        .bind(&r.path)
        .bind(&r.assume_role_policy)
        .bind(&r.description)
        .bind(r.max_session_duration)
        .bind(r.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// The role named `name`, in any case.
    pub async fn get_role(&self, name: &str) -> StoreResult<Option<RoleRow>> {
        Ok(sqlx::query_as("SELECT * FROM iam_roles WHERE lower(name) = lower($1)")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn count_roles(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM iam_roles").fetch_one(&self.pool).await?)
    }

    /// Roles whose path starts with `path_prefix`, in name order after `after`, at most `limit`.
    pub async fn list_roles(&self, path_prefix: &str, after: Option<&str>, limit: i64) -> StoreResult<Vec<RoleRow>> {
        // A prefix comparison, not LIKE: paths may contain `%` and `_`.
        Ok(sqlx::query_as(
            "SELECT * FROM iam_roles WHERE substr(path, 1, length($1)) = $1 AND name > $2 ORDER BY name LIMIT $3",
        )
        .bind(path_prefix)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Replace the trust policy of the role `name` (in any case); false when there is none.
    pub async fn set_role_trust_policy(&self, name: &str, document: &str) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE iam_roles SET assume_role_policy = $2 WHERE lower(name) = lower($1)")
            .bind(name)
            .bind(document)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Delete a role that has no inline policies, and revoke every credential vended for it,
    /// in one transaction.
    pub async fn delete_role(&self, name: &str, now: i64) -> StoreResult<RoleDeletion> {
        let mut tx = self.pool.begin().await?;
        // Write first, so a SQLite transaction never has to upgrade from a read.
        let deleted: Option<String> = sqlx::query_scalar(
            "DELETE FROM iam_roles WHERE lower(name) = lower($1) \
             AND NOT EXISTS (SELECT 1 FROM iam_role_policies p WHERE p.role_name = iam_roles.name) \
             AND NOT EXISTS (SELECT 1 FROM iam_role_attached_policies a WHERE a.role_name = iam_roles.name) \
             RETURNING name",
        )
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(deleted) = deleted else {
            tx.rollback().await?;
            let Some(role) = self.get_role(name).await? else { return Ok(RoleDeletion::NotFound) };
            return Ok(if self.role_policies(&role.name).await?.is_empty() {
                RoleDeletion::HasAttachedPolicies
            } else {
                RoleDeletion::HasPolicies
            });
        };
        sqlx::query("UPDATE temporary_credentials SET revoked_at = $2 WHERE role_name = $1 AND revoked_at IS NULL")
            .bind(deleted)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(RoleDeletion::Deleted)
    }

    /// Create or replace an inline policy of the role `p.role_name` (its stored spelling);
    /// false when the role does not exist.
    pub async fn put_role_policy(&self, p: &RolePolicyRow) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO iam_role_policies (role_name, policy_name, document) \
             SELECT name, $2, $3 FROM iam_roles WHERE name = $1 \
             ON CONFLICT (role_name, policy_name) DO UPDATE SET document = excluded.document",
        )
        .bind(&p.role_name)
        .bind(&p.policy_name)
        .bind(&p.document)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub async fn get_role_policy(&self, role_name: &str, policy_name: &str) -> StoreResult<Option<RolePolicyRow>> {
        Ok(sqlx::query_as("SELECT * FROM iam_role_policies WHERE role_name = $1 AND policy_name = $2")
            .bind(role_name)
            .bind(policy_name)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every inline policy of a role, by name.
    pub async fn role_policies(&self, role_name: &str) -> StoreResult<Vec<RolePolicyRow>> {
        Ok(sqlx::query_as("SELECT * FROM iam_role_policies WHERE role_name = $1 ORDER BY policy_name")
            .bind(role_name)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn delete_role_policy(&self, role_name: &str, policy_name: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM iam_role_policies WHERE role_name = $1 AND policy_name = $2")
            .bind(role_name)
            .bind(policy_name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Store credentials for the role `c.role_name` if it still is the role `role_id` (not
    /// deleted, nor deleted and created again); false otherwise.
    pub async fn insert_temporary_credential(&self, c: &TemporaryCredentialRow, role_id: &str) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO temporary_credentials (access_key_id, secret_enc, session_token_hash, role_name, \
             session_name, subject, audience, created_at, expires_at, role_id) \
             SELECT $1, $2, $3, name, $5, $6, $7, $8, $9, role_id FROM iam_roles WHERE name = $4 AND role_id = $10",
        )
        .bind(&c.access_key_id)
        .bind(&c.secret_enc)
        .bind(&c.session_token_hash)
        .bind(&c.role_name)
        .bind(&c.session_name)
        .bind(&c.subject)
        .bind(&c.audience)
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(role_id)
        .execute(&self.pool)
        .await
        .map_err(conflict)?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn get_temporary_credential(&self, access_key_id: &str) -> StoreResult<Option<TemporaryCredentialRow>> {
        Ok(sqlx::query_as("SELECT * FROM temporary_credentials WHERE access_key_id = $1")
            .bind(access_key_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Drop credentials that expired before `before`; returns how many.
    pub async fn purge_temporary_credentials(&self, before: i64) -> StoreResult<u64> {
        let n = sqlx::query("DELETE FROM temporary_credentials WHERE expires_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n)
    }
}

/// A customer managed policy (CreatePolicy): one version, `v1`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PolicyRow {
    pub arn: String,
    pub name: String,
    /// `ANPA…`.
    pub policy_id: String,
    pub path: String,
    /// JSON text as given (URL-decoded).
    pub document: String,
    pub description: Option<String>,
    pub created_at: i64,
}

/// What [`Store::delete_policy`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDeletion {
    Deleted,
    NotFound,
    /// Still attached to a role; nothing was deleted.
    Attached,
}

impl Store {
    /// Insert a policy; [`super::StoreError::Conflict`] when its name (in any case) is taken.
    pub async fn insert_policy(&self, p: &PolicyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO iam_policies (arn, name, policy_id, path, document, description, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&p.arn)
        .bind(&p.name)
        .bind(&p.policy_id)
        .bind(&p.path)
        .bind(&p.document)
        .bind(&p.description)
        .bind(p.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_policy(&self, arn: &str) -> StoreResult<Option<PolicyRow>> {
        Ok(sqlx::query_as("SELECT * FROM iam_policies WHERE arn = $1").bind(arn).fetch_optional(&self.pool).await?)
    }

    /// How many roles a policy is attached to.
    pub async fn count_policy_attachments(&self, arn: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM iam_role_attached_policies WHERE policy_arn = $1")
            .bind(arn)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Policies whose path starts with `path_prefix`, attached to a role when `only_attached`,
    /// by name after `after`, `limit` of them.
    pub async fn list_policies(
        &self,
        path_prefix: &str,
        only_attached: bool,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PolicyRow>> {
        let attached = if only_attached {
            " AND EXISTS (SELECT 1 FROM iam_role_attached_policies a WHERE a.policy_arn = iam_policies.arn)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT * FROM iam_policies WHERE substr(path, 1, length($1)) = $1 AND name > $2{attached} \
             ORDER BY name LIMIT $3"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(path_prefix)
            .bind(after.unwrap_or_default())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Delete a policy that no role has attached.
    pub async fn delete_policy(&self, arn: &str) -> StoreResult<PolicyDeletion> {
        let n = sqlx::query(
            "DELETE FROM iam_policies WHERE arn = $1 \
             AND NOT EXISTS (SELECT 1 FROM iam_role_attached_policies a WHERE a.policy_arn = iam_policies.arn)",
        )
        .bind(arn)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if n == 1 {
            return Ok(PolicyDeletion::Deleted);
        }
        Ok(if self.get_policy(arn).await?.is_some() { PolicyDeletion::Attached } else { PolicyDeletion::NotFound })
    }

    /// Attach a policy to a role (its stored name); attaching twice is attaching once.
    pub async fn attach_role_policy(&self, role_name: &str, arn: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO iam_role_attached_policies (role_name, policy_arn) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(role_name)
        .bind(arn)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Detach a policy from a role; false when it was not attached.
    pub async fn detach_role_policy(&self, role_name: &str, arn: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM iam_role_attached_policies WHERE role_name = $1 AND policy_arn = $2")
            .bind(role_name)
            .bind(arn)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The policies attached to a role whose path starts with `path_prefix`, by name after
    /// `after`, `limit` of them.
    pub async fn attached_role_policies(
        &self,
        role_name: &str,
        path_prefix: &str,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<PolicyRow>> {
        Ok(sqlx::query_as(
            "SELECT p.* FROM iam_role_attached_policies a JOIN iam_policies p ON p.arn = a.policy_arn \
             WHERE a.role_name = $1 AND substr(p.path, 1, length($2)) = $2 AND p.name > $3 ORDER BY p.name LIMIT $4",
        )
        .bind(role_name)
        .bind(path_prefix)
        .bind(after.unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
