//! Groups and memberships; group names appear in `cognito:groups` in precedence order.

use super::error::{Error, Result};
use crate::services::Services;
use crate::store::StoreError;
use crate::store::groups::GroupRow;
use crate::store::users::UserRow;
use serde_json::{Value, json};

impl Services {
    pub async fn create_group(&self, pool_id: &str, input: &Value) -> Result<GroupRow> {
        self.pool(pool_id).await?;
        let now = self.now();
        let g = GroupRow {
            pool_id: pool_id.to_string(),
            name: input["GroupName"].as_str().unwrap_or_default().to_string(),
            description: input["Description"].as_str().map(str::to_string),
            role_arn: input["RoleArn"].as_str().map(str::to_string),
            precedence: input["Precedence"].as_i64(),
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_group(&g).await {
            Ok(()) => Ok(g),
            Err(StoreError::Conflict) => Err(Error::GroupExists("A group with the name already exists.".into())),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn group(&self, pool_id: &str, name: &str) -> Result<GroupRow> {
        self.pool(pool_id).await?;
        self.store.get_group(pool_id, name).await?.ok_or_else(|| Error::ResourceNotFound("Group not found.".into()))
    }

    pub async fn update_group(&self, pool_id: &str, input: &Value) -> Result<GroupRow> {
        let mut g = self.group(pool_id, input["GroupName"].as_str().unwrap_or_default()).await?;
        if let Some(d) = input.get("Description") {
            g.description = d.as_str().map(str::to_string);
        }
        if let Some(r) = input.get("RoleArn") {
            g.role_arn = r.as_str().map(str::to_string);
        }
        if let Some(p) = input.get("Precedence") {
            g.precedence = p.as_i64();
        }
        g.updated_at = self.now();
        self.store.update_group(&g).await?;
        Ok(g)
    }

    pub async fn delete_group(&self, pool_id: &str, name: &str) -> Result<()> {
        self.group(pool_id, name).await?;
        self.store.delete_group(pool_id, name).await?;
        Ok(())
    }

    pub fn group_type(&self, g: &GroupRow) -> Value {
        let mut v = json!({
            "GroupName": g.name,
            "UserPoolId": g.pool_id,
            "LastModifiedDate": g.updated_at,
            "CreationDate": g.created_at,
        });
        if let Some(d) = &g.description {
            v["Description"] = json!(d);
        }
        if let Some(r) = &g.role_arn {
            v["RoleArn"] = json!(r);
        }
        if let Some(p) = g.precedence {
            v["Precedence"] = json!(p);
        }
        v
    }

    /// Resolve user and group in the pool (either missing → the matching Cognito error).
    async fn user_and_group(&self, pool_id: &str, username: &str, group: &str) -> Result<(UserRow, GroupRow)> {
        let pool = self.pool(pool_id).await?;
        let user = self.user(&pool, username).await?;
        let g = self.group(pool_id, group).await?;
        Ok((user, g))
    }

    pub async fn add_user_to_group(&self, pool_id: &str, username: &str, group: &str) -> Result<()> {
        let (u, g) = self.user_and_group(pool_id, username, group).await?;
        self.store.add_group_member(pool_id, &g.name, &u.id).await?;
        Ok(())
    }

    pub async fn remove_user_from_group(&self, pool_id: &str, username: &str, group: &str) -> Result<()> {
        let (u, g) = self.user_and_group(pool_id, username, group).await?;
        self.store.remove_group_member(pool_id, &g.name, &u.id).await?;
        Ok(())
    }

    pub async fn group_names(&self, user_id: &str) -> Result<Vec<String>> {
        Ok(self.store.groups_for_user(user_id).await?.into_iter().map(|g| g.name).collect())
    }
}
