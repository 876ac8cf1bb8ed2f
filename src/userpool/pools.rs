//! User pools: create with Cognito's defaults, describe, list, update, delete.

use super::UserPools;
use super::error::{Error, Result};
use super::model::{Pool, STANDARD_ATTRIBUTES, new_pool_id, standard_schema_entry};
use crate::store::StoreError;
use crate::store::pools::PoolRow;
use serde_json::{Map, Value, json};

/// Settings that cannot change after creation.
const IMMUTABLE: &[&str] = &["SchemaAttributes", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration"];
/// Members of the request that are not stored settings.
const NOT_SETTINGS: &[&str] = &["PoolName", "Schema", "UserPoolId"];

fn defaults() -> Map<String, Value> {
    let v = json!({
        "Policies": {"PasswordPolicy": {
            "MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true,
            "RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 7
        }},
        "DeletionProtection": "INACTIVE",
        "LambdaConfig": {},
        "MfaConfiguration": "OFF",
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7},
        "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "UserPoolTier": "ESSENTIALS",
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Merge `over` into `base` recursively (objects merge, everything else replaces).
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Cognito's rule beyond the model's patterns: an invitation names the user and the password.
fn check_templates(input: &Value) -> Result<()> {
    let invite = &input["AdminCreateUserConfig"]["InviteMessageTemplate"];
    for key in ["EmailMessage", "SMSMessage"] {
        if let Some(m) = invite[key].as_str()
            && !(m.contains("{username}") && m.contains("{####}"))
        {
            return Err(Error::invalid(format!(
                "Invalid {key} in InviteMessageTemplate: it must contain the {{username}} and {{####}} placeholders."
            )));
        }
    }
    Ok(())
}

fn build_settings(input: &Value) -> Map<String, Value> {
    let mut cfg = Value::Object(defaults());
    let mut given = input.clone();
    if let Some(m) = given.as_object_mut() {
        for k in NOT_SETTINGS {
            m.remove(*k);
        }
    }
    merge(&mut cfg, &given);
    match cfg {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The pool schema: standard attributes, overridden and extended by the request's `Schema`.
fn build_schema(input: &Value, aliases: &[String]) -> Result<Vec<Value>> {
    let mut schema: Vec<Value> = STANDARD_ATTRIBUTES.iter().map(|(n, t)| standard_schema_entry(n, t)).collect();
    let mut custom = 0;
    for a in input["Schema"].as_array().cloned().unwrap_or_default() {
        let name = a["Name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return Err(Error::invalid("Schema attribute Name is required."));
        }
        if let Some(std) = schema.iter_mut().find(|s| s["Name"] == name) {
            if name == "sub" {
                return Err(Error::invalid("sub is a reserved attribute and cannot be modified."));
            }
            if a["Required"] == true
                && name == "preferred_username"
                && aliases.iter().any(|x| x == "preferred_username")
            {
                return Err(Error::invalid("preferred_username cannot be both required and an alias."));
            }
            for k in ["Required", "Mutable", "StringAttributeConstraints", "NumberAttributeConstraints"] {
                if !a[k].is_null() {
                    std[k] = a[k].clone();
                }
            }
            continue;
        }
        let base = name.strip_prefix("custom:").unwrap_or(name);
        if base.is_empty() || base.chars().count() > 20 {
            return Err(Error::invalid(format!("Custom attribute name {name} must be 1-20 characters.")));
        }
        if a["Required"] == true {
            return Err(Error::invalid("Required custom attributes are not supported currently."));
        }
        let ty = a["AttributeDataType"].as_str().unwrap_or("String");
        let dev = a["DeveloperOnlyAttribute"] == true;
        let full = if dev { format!("dev:custom:{base}") } else { format!("custom:{base}") };
        if schema.iter().any(|s| s["Name"] == full.as_str()) {
            return Err(Error::invalid(format!("Existing attribute already has name {full}.")));
        }
        custom += 1;
        if custom > 50 {
            return Err(Error::invalid("A user pool can have at most 50 custom attributes."));
        }
        let mut e = json!({
            "Name": full, "AttributeDataType": ty, "DeveloperOnlyAttribute": dev,
            "Mutable": a["Mutable"].as_bool().unwrap_or(true), "Required": false,
        });
        match ty {
            "String" => {
                e["StringAttributeConstraints"] = if a["StringAttributeConstraints"].is_null() {
                    json!({})
                } else {
                    a["StringAttributeConstraints"].clone()
                }
            }
            "Number" => {
                e["NumberAttributeConstraints"] = if a["NumberAttributeConstraints"].is_null() {
                    json!({})
                } else {
                    a["NumberAttributeConstraints"].clone()
                }
            }
            _ => {}
        }
        schema.push(e);
    }
    Ok(schema)
}

impl UserPools {
    pub async fn create_pool(&self, input: &Value) -> Result<Pool> {
        let name = input["PoolName"].as_str().unwrap_or_default().to_string();
        let username_attrs = input["UsernameAttributes"].as_array().map(|a| !a.is_empty()).unwrap_or(false);
        let alias_attrs: Vec<String> = input["AliasAttributes"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        if username_attrs && !alias_attrs.is_empty() {
            return Err(Error::invalid(
                "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
            ));
        }
        check_templates(input)?;
        let mut settings = build_settings(input);
        settings.insert("SchemaAttributes".into(), Value::Array(build_schema(input, &alias_attrs)?));
        let now = self.now();
        let row = PoolRow {
            id: new_pool_id(&self.region),
            name,
            config: Value::Object(settings),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_pool(&row).await?;
        crate::tokens::keys::provision(&self.store, &self.master, &row.id, now).await.map_err(Error::Internal)?;
        Ok(row.into())
    }

    /// Cognito's `UserPoolType` for DescribeUserPool / CreateUserPool.
    pub async fn describe_pool(&self, pool: &Pool) -> Result<Value> {
        let mut out = pool.config.clone();
        out["Id"] = json!(pool.id);
        out["Name"] = json!(pool.name);
        out["Arn"] = json!(pool.arn(&self.region, &self.account_id));
        out["CreationDate"] = json!(pool.created_at);
        out["LastModifiedDate"] = json!(pool.updated_at);
        out["EstimatedNumberOfUsers"] = json!(self.store.count_users(&pool.id).await?);
        for d in self.store.domains_of_pool(&pool.id).await? {
            out[if d.custom { "CustomDomain" } else { "Domain" }] =
                json!(d.config["RequestedDomain"].as_str().unwrap_or(&d.domain));
        }
        Ok(out)
    }

    pub async fn list_pools(&self, max: i64, after: Option<&str>) -> Result<(Vec<Pool>, Option<String>)> {
        let (rows, next) = crate::store::page(self.store.list_pools(max + 1, after).await?, max, |p| p.id.clone());
        Ok((rows.into_iter().map(Pool::from).collect(), next))
    }

    /// UpdateUserPool: like Cognito, settings not given return to their defaults; the
    /// immutable ones (schema, username and alias settings) are kept.
    pub async fn update_pool(&self, id: &str, input: &Value) -> Result<()> {
        let pool = self.directory.pool(id).await?;
        check_templates(input)?;
        let mut settings = build_settings(input);
        for k in IMMUTABLE {
            if let Some(v) = pool.config.get(*k) {
                settings.insert(k.to_string(), v.clone());
            }
        }
        // Set by other actions (TagResource, SetUserPoolMfaConfig): kept unless given here.
        for k in ["UserPoolTags", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration"] {
            if input.get(k).is_none()
                && let Some(t) = pool.config.get(k)
            {
                settings.insert(k.into(), t.clone());
            }
        }
        let row = PoolRow {
            id: pool.id,
            name: input["PoolName"].as_str().map(str::to_string).unwrap_or(pool.name),
            config: Value::Object(settings),
            created_at: pool.created_at,
            updated_at: self.now(),
        };
        self.store.update_pool(&row).await?;
        self.directory.forget_pool(id);
        Ok(())
    }

    /// Store new settings for a pool as they are (callers validated them).
    pub(super) async fn replace_pool_config(&self, pool: &Pool, config: Value) -> Result<()> {
        let row = PoolRow {
            id: pool.id.clone(),
            name: pool.name.clone(),
            config,
            created_at: pool.created_at,
            updated_at: self.now(),
        };
        self.store.update_pool(&row).await?;
        self.directory.forget_pool(&pool.id);
        Ok(())
    }

    pub async fn delete_pool(&self, id: &str) -> Result<()> {
        let pool = self.directory.pool(id).await?;
        if pool.config["DeletionProtection"] == "ACTIVE" {
            return Err(Error::invalid(
                "The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.",
            ));
        }
        match self.store.delete_pool(id).await {
            Ok(_) => {
                self.tokens.forget_keys(id);
                self.directory.forget_pool(id);
                Ok(())
            }
            Err(StoreError::Conflict) => Err(Error::invalid("User pool is in use.")),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_merge_defaults_with_input() {
        let s = build_settings(&json!({"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 12}}}));
        assert_eq!(s["Policies"]["PasswordPolicy"]["MinimumLength"], 12);
        assert_eq!(s["Policies"]["PasswordPolicy"]["RequireSymbols"], true);
        assert_eq!(s["MfaConfiguration"], "OFF");
        assert!(!s.contains_key("PoolName"));
    }

    #[test]
    fn schema_adds_custom_prefix_and_rejects_required_custom() {
        let s = build_schema(&json!({"Schema": [{"Name": "tenant", "AttributeDataType": "String"}, {"Name": "email", "Required": true}]}), &[]).unwrap();
        assert!(s.iter().any(|a| a["Name"] == "custom:tenant"));
        assert!(s.iter().any(|a| a["Name"] == "email" && a["Required"] == true));
        assert!(build_schema(&json!({"Schema": [{"Name": "t", "Required": true}]}), &[]).is_err());
    }
}
