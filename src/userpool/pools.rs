//! User pools: create with Cognito's defaults, describe, list, update, delete.

use super::UserPools;
use super::error::{Error, Message, Result};
use super::model::{Pool, STANDARD_ATTRIBUTES, new_pool_id, standard_schema_entry};
use super::pool_definition::{
    AttributeDataType, MfaFactors, PoolChanges, PoolDefinition, PoolOptions, SchemaAttribute,
};
use super::pool_document::Document;
use super::resources::Domain;
use crate::ids::PoolId;
use crate::store::StoreError;
use crate::store::pools::PoolRow;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Settings that cannot change after creation.
/// Most custom attributes a pool may have.
const MAX_CUSTOM: usize = 50;
const IMMUTABLE: &[&str] = &["SchemaAttributes", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration"];

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
fn tags_of(pool: &Pool) -> BTreeMap<String, String> {
    let tags = pool.config.get("UserPoolTags").and_then(Value::as_object).into_iter().flatten();
    tags.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect()
}

fn check_tags(options: &PoolOptions) -> Result<()> {
    let problem = options.tags.as_ref().and_then(crate::tags::problem);
    problem.map_or(Ok(()), |m| Err(Error::invalid(m)))
}

/// A custom sender trigger needs `KMSKeyID`, the key its codes are encrypted to, and the
/// `LambdaVersion` V1_0, as Cognito requires.
fn check_lambda_config(options: &PoolOptions) -> Result<()> {
    let Some(l) = &options.lambda_config else { return Ok(()) };
    for name in ["CustomEmailSender", "CustomSMSSender"] {
        let Some(sender) = l.versioned.get(name) else { continue };
        if sender.version != "V1_0" {
            return Err(Error::invalid(format!("{name} LambdaVersion must be V1_0.")));
        }
        if l.arns.get("KMSKeyID").is_none_or(|k| k.is_empty()) {
            return Err(Error::invalid(format!("KMSKeyID must be provided when {name} is configured.")));
        }
    }
    Ok(())
}

/// `SignInPolicy.AllowedFirstAuthFactors`: Cognito's names, PASSWORD among them (it cannot be
/// turned off); SMS_OTP is refused, since no SMS is sent.
fn check_sign_in_policy(options: &PoolOptions) -> Result<()> {
    let Some(factors) = options.sign_in_policy.as_ref().and_then(|p| p.allowed_first_auth_factors.as_ref()) else {
        return Ok(());
    };
    if let Some(f) = factors.iter().find(|f| !["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"].contains(&f.as_str())) {
        return Err(Error::invalid(format!("{f} is not a valid first authentication factor.")));
    }
    if factors.iter().any(|f| f == "SMS_OTP") {
        return Err(Error::invalid("SMS_OTP is not supported: this server sends no SMS messages."));
    }
    if !factors.iter().any(|f| f == "PASSWORD") {
        return Err(Error::invalid("AllowedFirstAuthFactors must include PASSWORD."));
    }
    Ok(())
}

fn check_templates(options: &PoolOptions) -> Result<()> {
    let invite = options.admin_create_user.as_ref().and_then(|a| a.invite_message_template.as_ref());
    let Some(invite) = invite else { return Ok(()) };
    for (key, message) in [("EmailMessage", &invite.email_message), ("SMSMessage", &invite.sms_message)] {
        if let Some(m) = message
            && !(m.contains("{username}") && m.contains("{####}"))
        {
            return Err(Error::invalid(format!(
                "Invalid {key} in InviteMessageTemplate: it must contain the {{username}} and {{####}} placeholders."
            )));
        }
    }
    Ok(())
}

/// Cognito's defaults with the settings given merged in (objects member by member).
fn build_settings(options: &PoolOptions) -> Map<String, Value> {
    let mut cfg = Value::Object(defaults());
    merge(&mut cfg, &Value::Object(options.document()));
    match cfg {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The pool schema: standard attributes, overridden and extended by the request's `Schema`.
fn build_schema(requested: &[SchemaAttribute], aliases: &[String]) -> Result<Vec<Value>> {
    let mut schema: Vec<Value> = STANDARD_ATTRIBUTES.iter().map(|(n, t)| standard_schema_entry(n, t)).collect();
    for a in requested {
        let name = a.name.as_deref().unwrap_or_default();
        if name.is_empty() {
            return Err(Error::invalid("Schema attribute Name is required."));
        }
        check_constraints(name, a)?;
        if let Some(std) = schema.iter_mut().find(|s| s["Name"] == name) {
            if name == "sub" {
                return Err(Error::invalid("sub is a reserved attribute and cannot be modified."));
            }
            let retyped = a.data_type.is_some_and(|t| std["AttributeDataType"] != t.as_str());
            if retyped || a.developer_only {
                return Err(Error::invalid(format!(
                    "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute {name}"
                )));
            }
            if a.required == Some(true)
                && name == "preferred_username"
                && aliases.iter().any(|x| x == "preferred_username")
            {
                return Err(Error::invalid("preferred_username cannot be both required and an alias."));
            }
            if let Some(r) = a.required {
                std["Required"] = r.into();
            }
            if let Some(m) = a.mutable {
                std["Mutable"] = m.into();
            }
            if let Some(c) = &a.string_constraints {
                std["StringAttributeConstraints"] = c.document();
            }
            if let Some(c) = &a.number_constraints {
                std["NumberAttributeConstraints"] = c.document();
            }
            continue;
        }
        push_custom(&mut schema, a)?;
    }
    Ok(schema)
}

/// Cognito's checks of an attribute's constraints: lengths are whole numbers from 0 to 2048,
/// values whole numbers, and the maximum is not below the minimum.
fn check_constraints(name: &str, a: &SchemaAttribute) -> Result<()> {
    if let Some(c) = &a.string_constraints {
        let invalid = || Error::invalid(format!("Invalid StringAttributeConstraints for schema attribute {name}"));
        let length = |v: &Option<String>| -> Result<Option<u64>> {
            let Some(v) = v else { return Ok(None) };
            let n: u64 = v.parse().map_err(|_| invalid())?;
            if n > 2048 {
                return Err(Error::invalid(format!(
                    "user.{name}: String attributes cannot have a length of more than 2048"
                )));
            }
            Ok(Some(n))
        };
        if let (Some(min), Some(max)) = (length(&c.min_length)?, length(&c.max_length)?)
            && max < min
        {
            return Err(Error::invalid(format!("user.{name}: Max length cannot be less than min length.")));
        }
    }
    if let Some(c) = &a.number_constraints {
        let invalid = || Error::invalid(format!("Invalid NumberAttributeConstraints for schema attribute {name}"));
        let value = |v: &Option<String>| -> Result<Option<i64>> {
            v.as_deref().map(|v| v.parse::<i64>().map_err(|_| invalid())).transpose()
        };
        if let (Some(min), Some(max)) = (value(&c.min_value)?, value(&c.max_value)?)
            && max < min
        {
            return Err(Error::invalid(format!("user.{name}: Max value cannot be less than min value.")));
        }
    }
    Ok(())
}

/// Add custom attribute `a` to `schema` (`custom:` or, developer-only, `dev:custom:` before its
/// name), with Cognito's rules: 1-20 characters, never required, a name used once, 50 at most.
fn push_custom(schema: &mut Vec<Value>, a: &SchemaAttribute) -> Result<()> {
    let name = a.name.as_deref().unwrap_or_default();
    let base = name.strip_prefix("custom:").unwrap_or(name);
    if base.is_empty() || base.chars().count() > 20 {
        return Err(Error::invalid(format!("Custom attribute name {name} must be 1-20 characters.")));
    }
    let Some(ty) = a.data_type else {
        return Err(Error::invalid(
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
        ));
    };
    if a.required == Some(true) {
        return Err(Error::invalid("Required custom attributes are not supported currently."));
    }
    check_constraints(name, a)?;
    let dev = a.developer_only;
    let full = if dev { format!("dev:custom:{base}") } else { format!("custom:{base}") };
    // `custom:x` and `dev:custom:x` are one name to Cognito: the prefix is not part of it.
    let taken = schema
        .iter()
        .filter_map(|s| s["Name"].as_str())
        .find(|n| n.strip_prefix("dev:").unwrap_or(n) == format!("custom:{base}"));
    if let Some(existing) = taken {
        return Err(Error::invalid(format!("custom:{base}: Existing attribute already has name {existing}.")));
    }
    if schema.iter().filter(|s| s["Name"].as_str().is_some_and(|n| n.contains("custom:"))).count() >= MAX_CUSTOM {
        return Err(Error::invalid(format!("A user pool can have at most {MAX_CUSTOM} custom attributes.")));
    }
    let mut e = json!({
        "Name": full, "AttributeDataType": ty.as_str(), "DeveloperOnlyAttribute": dev,
        "Mutable": a.mutable.unwrap_or(true), "Required": false,
    });
    match ty {
        AttributeDataType::String => {
            e["StringAttributeConstraints"] = a.string_constraints.as_ref().map_or(json!({}), Document::document)
        }
        AttributeDataType::Number => {
            e["NumberAttributeConstraints"] = a.number_constraints.as_ref().map_or(json!({}), Document::document)
        }
        _ => {}
    }
    schema.push(e);
    Ok(())
}

/// A pool, with what DescribeUserPool tells beside its settings.
#[derive(Debug, Clone)]
pub struct PoolDescription {
    pub pool: Pool,
    /// The pool's ARN.
    pub arn: String,
    /// How many users the pool holds.
    pub estimated_number_of_users: i64,
    /// The prefix domain, as it was requested.
    pub domain: Option<String>,
    /// The custom domain, as it was requested.
    pub custom_domain: Option<String>,
}

impl UserPools {
    pub async fn create_pool(&self, def: &PoolDefinition) -> Result<Pool> {
        let username_attrs = def.username_attributes.as_ref().is_some_and(|a| !a.is_empty());
        let alias_attrs = def.alias_attributes.as_deref().unwrap_or_default();
        if username_attrs && !alias_attrs.is_empty() {
            return Err(Error::invalid(
                "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
            ));
        }
        check_templates(&def.options)?;
        check_sign_in_policy(&def.options)?;
        check_lambda_config(&def.options)?;
        check_tags(&def.options)?;
        let mut settings = build_settings(&def.options);
        settings.extend(def.fixed_document());
        settings.insert("SchemaAttributes".into(), Value::Array(build_schema(&def.schema, alias_attrs)?));
        let now = self.now();
        let row = PoolRow {
            id: new_pool_id(&self.region),
            name: def.name.clone(),
            config: Value::Object(settings),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_pool(&row).await?;
        crate::tokens::keys::provision(&self.store, &self.master, &row.id, now).await.map_err(Error::Internal)?;
        Ok(row.into())
    }

    /// DescribeUserPool / CreateUserPool: the pool, its ARN, its user count and its domains.
    pub async fn describe_pool(&self, pool: Pool) -> Result<PoolDescription> {
        let (mut domain, mut custom_domain) = (None, None);
        for d in self.store.domains_of_pool(&pool.id).await? {
            let d = Domain::from(d);
            *(if d.custom.is_some() { &mut custom_domain } else { &mut domain }) = Some(d.requested);
        }
        Ok(PoolDescription {
            arn: pool.arn(&self.region, &self.account_id),
            estimated_number_of_users: self.store.count_users(&pool.id).await?,
            domain,
            custom_domain,
            pool,
        })
    }

    pub async fn list_pools(&self, max: i64, after: Option<&str>) -> Result<(Vec<Pool>, Option<String>)> {
        let (rows, next) = crate::store::page(self.store.list_pools(max + 1, after).await?, max, |p| p.id.to_string());
        Ok((rows.into_iter().map(Pool::from).collect(), next))
    }

    /// The pool a tagging action's `ResourceArn` names: one of this server's region and account.
    async fn tagged_pool(&self, arn: &str) -> Result<Pool> {
        let not_found = || Error::ResourceNotFound(format!("Resource {arn} not found.").into());
        let id = arn.rsplit_once(":userpool/").and_then(|(_, id)| PoolId::parse(id)).ok_or_else(not_found)?;
        let pool = match self.directory.pool(&id).await {
            Err(Error::ResourceNotFound(_)) => return Err(not_found()),
            other => other?,
        };
        if pool.arn(&self.region, &self.account_id) != arn {
            return Err(not_found());
        }
        Ok(pool)
    }

    /// ListTagsForResource: the pool's `UserPoolTags`.
    pub async fn pool_tags(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        Ok(tags_of(&self.tagged_pool(arn).await?))
    }

    /// TagResource (`add`) and UntagResource (`remove`) on a user pool, under the tag rules.
    pub async fn retag_pool(&self, arn: &str, add: &BTreeMap<String, String>, remove: &[String]) -> Result<()> {
        let pool = self.tagged_pool(arn).await?;
        let mut tags = tags_of(&pool);
        tags.extend(add.iter().map(|(k, v)| (k.clone(), v.clone())));
        tags.retain(|k, _| !remove.contains(k));
        if let Some(m) = crate::tags::problem(&tags) {
            return Err(Error::invalid(m));
        }
        let mut config = (*pool.config).clone();
        config["UserPoolTags"] = json!(tags);
        let row = PoolRow {
            id: pool.id.clone(),
            name: pool.name,
            config,
            created_at: pool.created_at,
            updated_at: self.now(),
        };
        self.store.update_pool(&row).await?;
        self.directory.forget_pool(&pool.id);
        Ok(())
    }

    /// UpdateUserPool: like Cognito, settings not given return to their defaults; the
    /// immutable ones (schema, username and alias settings) are kept.
    pub async fn update_pool(&self, id: &PoolId, changes: &PoolChanges) -> Result<()> {
        let pool = self.directory.pool(id).await?;
        self.refuse_during_import(id).await?;
        check_templates(&changes.options)?;
        check_sign_in_policy(&changes.options)?;
        check_lambda_config(&changes.options)?;
        check_tags(&changes.options)?;
        let mut settings = build_settings(&changes.options);
        for k in IMMUTABLE {
            if let Some(v) = pool.config.get(*k) {
                settings.insert(k.to_string(), v.clone());
            }
        }
        // Set by other actions (TagResource, SetUserPoolMfaConfig): kept unless given here.
        for k in ["UserPoolTags", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration"] {
            if !settings.contains_key(k)
                && let Some(t) = pool.config.get(k)
            {
                settings.insert(k.into(), t.clone());
            }
        }
        let row = PoolRow {
            id: pool.id,
            name: changes.name.clone().unwrap_or(pool.name),
            config: Value::Object(settings),
            created_at: pool.created_at,
            updated_at: self.now(),
        };
        self.store.update_pool(&row).await?;
        self.directory.forget_pool(id);
        Ok(())
    }

    /// The dashboard's settings form: only the settings given change; every other one (and the
    /// members of a given object that are not named, like a password policy's) stays as it is.
    /// Turning MFA on enables TOTP when the pool has no factor yet.
    pub async fn adjust_pool(
        &self,
        id: &PoolId,
        name: Option<String>,
        changes: &PoolOptions,
        factors: Option<&MfaFactors>,
    ) -> Result<()> {
        let pool = self.directory.pool(id).await?;
        check_templates(changes)?;
        let mut config = (*pool.config).clone();
        merge(&mut config, &Value::Object(changes.document()));
        if let Some(f) = factors {
            config["SoftwareTokenMfaConfiguration"] = json!({"Enabled": f.totp});
            match &f.email {
                Some(mail) => {
                    if mail.message.as_deref().is_some_and(|m| !m.contains("{####}")) {
                        return Err(Error::invalid(
                            "The sign-in code message must contain {####}, where the code goes.",
                        ));
                    }
                    config["EmailMfaConfiguration"] = mail.document();
                }
                None => {
                    if let Some(c) = config.as_object_mut() {
                        c.remove("EmailMfaConfiguration");
                    }
                }
            }
        }
        let mut candidate = pool.with_config(config);
        if candidate.mfa_mode() != super::model::MfaMode::Off
            && !candidate.totp_allowed()
            && !candidate.email_mfa_allowed()
        {
            if factors.is_some() {
                return Err(Error::invalid("At least one MFA factor must be enabled to turn MFA on."));
            }
            let mut config = (*candidate.config).clone();
            config["SoftwareTokenMfaConfiguration"] = json!({"Enabled": true});
            candidate = candidate.with_config(config);
        }
        let row = PoolRow {
            id: pool.id.clone(),
            name: name.filter(|n| !n.trim().is_empty()).unwrap_or(pool.name.clone()),
            config: (*candidate.config).clone(),
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

    /// AddCustomAttributes: 1 to 25 custom attributes added to the schema, all or none. A name is
    /// always a custom one (`email` becomes `custom:email`).
    pub async fn add_custom_attributes(&self, id: &PoolId, attributes: &[SchemaAttribute]) -> Result<Pool> {
        if attributes.is_empty() || attributes.len() > 25 {
            return Err(Error::invalid("Add 1 to 25 custom attributes at a time."));
        }
        let pool = self.directory.pool(id).await?;
        self.refuse_during_import(id).await?;
        let mut config = (*pool.config).clone();
        let mut schema = pool.schema().to_vec();
        for a in attributes {
            push_custom(&mut schema, a)?;
        }
        config["SchemaAttributes"] = Value::Array(schema);
        self.replace_pool_config(&pool, config.clone()).await?;
        Ok(pool.with_config(config))
    }

    pub async fn delete_pool(&self, id: &PoolId) -> Result<()> {
        let pool = self.directory.pool(id).await?;
        self.refuse_during_import(id).await?;
        if pool.deletion_protected() {
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

impl UserPools {
    /// While a user import job of the pool is started and not finished, its schema, settings
    /// and existence stay as they are (Cognito's `UserImportInProgressException` on
    /// UpdateUserPool, AddCustomAttributes and DeleteUserPool).
    async fn refuse_during_import(&self, id: &PoolId) -> Result<()> {
        if self.store.import_in_progress(id).await? {
            return Err(Error::UserImportInProgress(Message::Text(
                "A user import job is in progress for this user pool.".into(),
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::userpool::pool_definition::PasswordPolicySettings;

    fn attribute(name: &str) -> SchemaAttribute {
        SchemaAttribute { name: Some(name.into()), ..Default::default() }
    }

    #[test]
    fn settings_merge_defaults_with_input() {
        let options = PoolOptions {
            password_policy: Some(PasswordPolicySettings { minimum_length: Some(12), ..Default::default() }),
            ..Default::default()
        };
        let s = build_settings(&options);
        assert_eq!(s["Policies"]["PasswordPolicy"]["MinimumLength"], 12);
        assert_eq!(s["Policies"]["PasswordPolicy"]["RequireSymbols"], true);
        assert_eq!(s["MfaConfiguration"], "OFF");
        assert!(!s.contains_key("PoolName"));
        assert_eq!(build_settings(&PoolOptions::default()), defaults());
    }

    #[test]
    fn schema_adds_custom_prefix_and_rejects_required_custom() {
        let tenant = SchemaAttribute { data_type: Some(AttributeDataType::String), ..attribute("tenant") };
        let email = SchemaAttribute { required: Some(true), ..attribute("email") };
        let s = build_schema(&[tenant, email], &[]).unwrap();
        assert!(s.iter().any(|a| a["Name"] == "custom:tenant"));
        assert!(s.iter().any(|a| a["Name"] == "email" && a["Required"] == true));
        let required =
            SchemaAttribute { required: Some(true), data_type: Some(AttributeDataType::String), ..attribute("t") };
        let refused = build_schema(&[required], &[]).unwrap_err().to_string();
        assert_eq!(refused, "Required custom attributes are not supported currently.");
    }

    #[test]
    fn schema_gives_custom_attributes_constraints_of_their_type() {
        let level = SchemaAttribute { data_type: Some(AttributeDataType::Number), ..attribute("level") };
        let tier = SchemaAttribute { data_type: Some(AttributeDataType::String), ..attribute("tier") };
        let s = build_schema(&[tier, level], &[]).unwrap();
        let find = |n: &str| s.iter().find(|a| a["Name"] == n).unwrap().clone();
        assert_eq!(find("custom:tier")["StringAttributeConstraints"], json!({}));
        assert_eq!(find("custom:level")["NumberAttributeConstraints"], json!({}));
        assert!(find("custom:level").get("StringAttributeConstraints").is_none());
    }
}
