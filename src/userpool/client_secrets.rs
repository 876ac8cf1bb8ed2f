//! Client secret rotation (AddUserPoolClientSecret, ListUserPoolClientSecrets,
//! DeleteUserPoolClientSecret): a confidential client holds one or two secrets, and every
//! client authentication ([`Client::authenticate`](super::model::Client)) accepts either.
//!
//! A client that never rotated keeps its one secret in the client's row, known by an id
//! derived from the client. The first rotation writes that secret to the rotation table under
//! the same id, beside the new one; from then on the table lists the client's secrets, and the
//! row's secret is one of them (a deleted main secret is replaced by the other). Secrets are
//! sealed at rest with the master key, as the main secret is; a new one is shown once, in
//! AddUserPoolClientSecret's answer.
//!
//! The two-secret limit is checked by the insert itself, under a lock on the client's row
//! ([`Store::insert_client_secret_within`](crate::store::Store::insert_client_secret_within)):
//! additions at the same moment cannot all pass it.

use super::UserPools;
use super::error::{Error, Result};
use crate::crypto::random_from;
use crate::ids::{ClientId, PoolId};
use crate::store::clients::ClientSecretRow;

/// Secrets a client may hold at once.
pub const MAX_SECRETS: i64 = 2;

/// A client secret as listed: its id and when it was made; the value only when it is new.
#[derive(Debug, Clone)]
pub struct ClientSecretInfo {
    pub id: String,
    pub value: Option<String>,
    pub created_at: i64,
}

pub(super) fn seal_context(client_id: &str, secret_id: &str) -> String {
    format!("client-secret:{client_id}:{secret_id}")
}

/// The id of a client's secret from before any rotation.
fn first_secret_id(client_id: &str, created_at: i64) -> String {
    format!("{client_id}--{created_at}")
}

fn no_secret() -> Error {
    Error::invalid("The user pool client does not have a client secret.")
}

impl UserPools {
    /// AddUserPoolClientSecret: `given` or a generated secret, while the client holds fewer
    /// than two.
    pub async fn add_client_secret(
        &self,
        pool_id: &PoolId,
        client_id: &ClientId,
        given: Option<&str>,
    ) -> Result<ClientSecretInfo> {
        let client = self.directory.client(pool_id, client_id).await?;
        let Some(main) = client.secret.clone() else {
            return Err(no_secret());
        };
        let rows = self.store.client_secrets(client_id).await?;
        if rows.is_empty() {
            let id = first_secret_id(client_id, client.created_at);
            let row = ClientSecretRow {
                client_id: client_id.clone(),
                secret_enc: self.master.seal(main.as_bytes(), &seal_context(client_id, &id)),
                secret_id: id,
                created_at: client.created_at,
            };
            match self.store.insert_client_secret(&row).await {
                // A rotation at the same moment wrote it first.
                Ok(()) | Err(crate::store::StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let value = given.map(str::to_string).unwrap_or_else(super::model::new_client_secret);
        let id = format!("{client_id}--{}", random_from(b"0123456789", 13));
        let now = self.now();
        let row = ClientSecretRow {
            client_id: client_id.clone(),
            secret_enc: self.master.seal(value.as_bytes(), &seal_context(client_id, &id)),
            secret_id: id.clone(),
            created_at: now,
        };
        if !self.store.insert_client_secret_within(&row, MAX_SECRETS).await? {
            return Err(Error::LimitExceeded(
                format!("The user pool client already has the maximum of {MAX_SECRETS} client secrets.").into(),
            ));
        }
        self.directory.forget_client(client_id);
        Ok(ClientSecretInfo { id, value: Some(value), created_at: now })
    }

    /// ListUserPoolClientSecrets: ids and dates, never values.
    pub async fn list_client_secrets(&self, pool_id: &PoolId, client_id: &ClientId) -> Result<Vec<ClientSecretInfo>> {
        let client = self.directory.client(pool_id, client_id).await?;
        if client.secret.is_none() {
            return Ok(Vec::new());
        }
        let mut rows = self.store.client_secrets(client_id).await?;
        let first = first_secret_id(client_id, client.created_at);
        if rows.is_empty() {
            return Ok(vec![ClientSecretInfo { id: first, value: None, created_at: client.created_at }]);
        }
        // Oldest first; the client's first secret before one added in the same second.
        rows.sort_by_key(|r| (r.created_at, r.secret_id != first));
        Ok(rows
            .into_iter()
            .map(|r| ClientSecretInfo { id: r.secret_id, value: None, created_at: r.created_at })
            .collect())
    }

    /// DeleteUserPoolClientSecret: never the last one.
    pub async fn delete_client_secret(&self, pool_id: &PoolId, client_id: &ClientId, secret_id: &str) -> Result<()> {
        let client = self.directory.client(pool_id, client_id).await?;
        let not_found = || Error::ResourceNotFound(format!("Client secret {secret_id} does not exist.").into());
        let last = || Error::invalid("The last client secret of a user pool client cannot be deleted.");
        let Some(main) = client.secret.clone() else {
            return Err(not_found());
        };
        let rows = self.store.client_secrets(client_id).await?;
        if rows.is_empty() {
            return Err(if secret_id == first_secret_id(client_id, client.created_at) { last() } else { not_found() });
        }
        let Some(gone) = rows.iter().find(|r| r.secret_id == secret_id) else {
            return Err(not_found());
        };
        if rows.len() == 1 {
            return Err(last());
        }
        let open = |r: &ClientSecretRow| {
            self.master.open_string(&r.secret_enc, &seal_context(client_id, &r.secret_id)).map_err(Error::internal)
        };
        // The main secret goes: the other takes its place in the client's row.
        let new_main = match rows.iter().find(|r| r.secret_id != secret_id) {
            Some(other) if crate::crypto::constant_time_eq(open(gone)?.as_bytes(), main.as_bytes()) => {
                Some(self.master.seal(open(other)?.as_bytes(), &format!("client-secret:{client_id}")))
            }
            _ => None,
        };
        // Checked again under the client's lock: a deletion racing this one may have left one.
        if !self.store.delete_client_secret_keeping_one(client_id, secret_id, new_main.as_deref()).await? {
            self.directory.forget_client(client_id);
            let still_there = self.store.client_secrets(client_id).await?.iter().any(|r| r.secret_id == secret_id);
            return Err(if still_there { last() } else { not_found() });
        }
        self.directory.forget_client(client_id);
        Ok(())
    }
}
