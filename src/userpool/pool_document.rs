//! The pool's stored document (Cognito's member names, echoed by DescribeUserPool) written
//! from the typed settings of `pool_definition.rs`: only the members given.

use super::model::MfaMode;
use super::pool_definition::*;
use serde_json::{Map, Value};

/// A document under construction: a member is written only when given.
#[derive(Default)]
struct Doc(Map<String, Value>);

impl Doc {
    fn put(mut self, key: &str, v: Option<impl Into<Value>>) -> Self {
        if let Some(v) = v {
            self.0.insert(key.to_string(), v.into());
        }
        self
    }

    fn put_doc<T: Document>(self, key: &str, v: &Option<T>) -> Self {
        self.put(key, v.as_ref().map(Document::document))
    }

    fn text(self, key: &str, v: &Option<String>) -> Self {
        self.put(key, v.clone())
    }

    fn value(self) -> Value {
        Value::Object(self.0)
    }
}

/// The part of the pool's stored document a setting becomes.
pub(super) trait Document {
    fn document(&self) -> Value;
}

impl PoolOptions {
    /// The settings given, as members of the pool's document (defaults are not filled in).
    pub fn document(&self) -> Map<String, Value> {
        let policies = (self.password_policy.is_some() || self.sign_in_policy.is_some()).then(|| {
            Doc::default()
                .put_doc("PasswordPolicy", &self.password_policy)
                .put_doc("SignInPolicy", &self.sign_in_policy)
                .value()
        });
        let tags: Option<Map<String, Value>> =
            self.tags.as_ref().map(|t| t.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect());
        Doc::default()
            .put("Policies", policies)
            .put("DeletionProtection", self.deletion_protection.map(DeletionProtection::as_str))
            .put_doc("LambdaConfig", &self.lambda_config)
            .put("AutoVerifiedAttributes", self.auto_verified_attributes.clone())
            .text("SmsVerificationMessage", &self.sms_verification_message)
            .text("EmailVerificationMessage", &self.email_verification_message)
            .text("EmailVerificationSubject", &self.email_verification_subject)
            .put_doc("VerificationMessageTemplate", &self.verification_message_template)
            .text("SmsAuthenticationMessage", &self.sms_authentication_message)
            .put("MfaConfiguration", self.mfa_mode.map(MfaMode::as_str))
            .put_doc("UserAttributeUpdateSettings", &self.user_attribute_update_settings)
            .put_doc("DeviceConfiguration", &self.device_configuration)
            .put_doc("EmailConfiguration", &self.email_configuration)
            .put_doc("SmsConfiguration", &self.sms_configuration)
            .put("UserPoolTags", tags.map(Value::Object))
            .put_doc("AdminCreateUserConfig", &self.admin_create_user)
            .put_doc("UserPoolAddOns", &self.add_ons)
            .put_doc("AccountRecoverySetting", &self.account_recovery)
            .text("UserPoolTier", &self.tier)
            .put_doc("KeyConfiguration", &self.key_configuration)
            .put_doc("IssuerConfiguration", &self.issuer_configuration)
            .0
    }
}

impl PoolDefinition {
    /// The settings fixed at creation, as members of the pool's document (the schema apart).
    pub fn fixed_document(&self) -> Map<String, Value> {
        let username_configuration = self.case_sensitive.map(|c| Doc::default().put("CaseSensitive", Some(c)).value());
        Doc::default()
            .put("UsernameAttributes", self.username_attributes.clone())
            .put("AliasAttributes", self.alias_attributes.clone())
            .put("UsernameConfiguration", username_configuration)
            .0
    }
}

impl PoolMfaChanges {
    /// The settings given, as members of the pool's document.
    pub fn document(&self) -> Map<String, Value> {
        Doc::default()
            .put_doc("SoftwareTokenMfaConfiguration", &self.software_token)
            .put_doc("EmailMfaConfiguration", &self.email)
            .put_doc("SmsMfaConfiguration", &self.sms)
            .put_doc("WebAuthnConfiguration", &self.webauthn)
            .put("MfaConfiguration", self.mode.map(MfaMode::as_str))
            .0
    }
}

impl Document for WebAuthnConfig {
    fn document(&self) -> Value {
        Doc::default()
            .put("RelyingPartyId", self.relying_party_id.clone())
            .put("UserVerification", self.user_verification.clone())
            .put("FactorConfiguration", self.factor_configuration.clone())
            .value()
    }
}

impl WebAuthnConfig {
    /// Read back from the pool's document.
    pub fn from_document(v: &Value) -> Self {
        let text = |k: &str| v[k].as_str().map(str::to_string);
        WebAuthnConfig {
            relying_party_id: text("RelyingPartyId"),
            user_verification: text("UserVerification"),
            factor_configuration: text("FactorConfiguration"),
        }
    }
}

impl EmailMfaConfig {
    /// Read back from the pool's document.
    pub fn from_document(v: &Value) -> Self {
        let text = |k: &str| v[k].as_str().map(str::to_string);
        EmailMfaConfig { message: text("Message"), subject: text("Subject") }
    }
}

impl Document for PasswordPolicySettings {
    fn document(&self) -> Value {
        Doc::default()
            .put("MinimumLength", self.minimum_length)
            .put("RequireUppercase", self.require_uppercase)
            .put("RequireLowercase", self.require_lowercase)
            .put("RequireNumbers", self.require_numbers)
            .put("RequireSymbols", self.require_symbols)
            .put("PasswordHistorySize", self.password_history_size)
            .put("TemporaryPasswordValidityDays", self.temporary_password_validity_days)
            .value()
    }
}

impl Document for SignInPolicy {
    fn document(&self) -> Value {
        Doc::default().put("AllowedFirstAuthFactors", self.allowed_first_auth_factors.clone()).value()
    }
}

impl Document for LambdaConfig {
    fn document(&self) -> Value {
        let mut m = Map::new();
        for (k, arn) in &self.arns {
            m.insert(k.clone(), Value::from(arn.as_str()));
        }
        for (k, l) in &self.versioned {
            let v =
                Doc::default().put("LambdaVersion", Some(l.version.as_str())).put("LambdaArn", Some(l.arn.as_str()));
            m.insert(k.clone(), v.value());
        }
        Value::Object(m)
    }
}

impl Document for VerificationMessageTemplate {
    fn document(&self) -> Value {
        Doc::default()
            .text("SmsMessage", &self.sms_message)
            .text("EmailMessage", &self.email_message)
            .text("EmailSubject", &self.email_subject)
            .text("EmailMessageByLink", &self.email_message_by_link)
            .text("EmailSubjectByLink", &self.email_subject_by_link)
            .text("DefaultEmailOption", &self.default_email_option)
            .value()
    }
}

impl Document for UserAttributeUpdateSettings {
    fn document(&self) -> Value {
        let list = self.attributes_require_verification_before_update.clone();
        Doc::default().put("AttributesRequireVerificationBeforeUpdate", list).value()
    }
}

impl Document for DeviceConfiguration {
    fn document(&self) -> Value {
        Doc::default()
            .put("ChallengeRequiredOnNewDevice", self.challenge_required_on_new_device)
            .put("DeviceOnlyRememberedOnUserPrompt", self.device_only_remembered_on_user_prompt)
            .value()
    }
}

impl Document for EmailConfiguration {
    fn document(&self) -> Value {
        Doc::default()
            .text("SourceArn", &self.source_arn)
            .text("ReplyToEmailAddress", &self.reply_to_email_address)
            .text("EmailSendingAccount", &self.email_sending_account)
            .text("From", &self.from)
            .text("ConfigurationSet", &self.configuration_set)
            .value()
    }
}

impl Document for SmsConfiguration {
    fn document(&self) -> Value {
        Doc::default()
            .text("SnsCallerArn", &self.sns_caller_arn)
            .text("ExternalId", &self.external_id)
            .text("SnsRegion", &self.sns_region)
            .put_doc("EumsSms", &self.eums_sms)
            .value()
    }
}

impl Document for EumsSmsConfiguration {
    fn document(&self) -> Value {
        Doc::default()
            .put("CallerArn", Some(self.caller_arn.as_str()))
            .text("ExternalId", &self.external_id)
            .text("OriginationIdentity", &self.origination_identity)
            .text("ConfigurationSetName", &self.configuration_set_name)
            .text("InEntityId", &self.in_entity_id)
            .text("InTemplateId", &self.in_template_id)
            .text("Region", &self.region)
            .value()
    }
}

impl Document for AdminCreateUserConfig {
    fn document(&self) -> Value {
        Doc::default()
            .put("AllowAdminCreateUserOnly", self.allow_admin_create_user_only)
            .put("UnusedAccountValidityDays", self.unused_account_validity_days)
            .put_doc("InviteMessageTemplate", &self.invite_message_template)
            .value()
    }
}

impl Document for MessageTemplate {
    fn document(&self) -> Value {
        Doc::default()
            .text("SMSMessage", &self.sms_message)
            .text("EmailMessage", &self.email_message)
            .text("EmailSubject", &self.email_subject)
            .value()
    }
}

impl Document for UserPoolAddOns {
    fn document(&self) -> Value {
        Doc::default()
            .put("AdvancedSecurityMode", Some(self.advanced_security_mode.as_str()))
            .put_doc("AdvancedSecurityAdditionalFlows", &self.additional_flows)
            .value()
    }
}

impl Document for AdvancedSecurityAdditionalFlows {
    fn document(&self) -> Value {
        Doc::default().text("CustomAuthMode", &self.custom_auth_mode).value()
    }
}

impl Document for AccountRecoverySetting {
    fn document(&self) -> Value {
        let list = self.recovery_mechanisms.as_ref().map(|l| {
            l.iter()
                .map(|o| Doc::default().put("Priority", Some(o.priority)).put("Name", Some(o.name.as_str())).value())
                .collect::<Vec<_>>()
        });
        Doc::default().put("RecoveryMechanisms", list).value()
    }
}

impl Document for KeyConfiguration {
    fn document(&self) -> Value {
        Doc::default().text("KeyType", &self.key_type).text("KmsKeyArn", &self.kms_key_arn).value()
    }
}

impl Document for IssuerConfiguration {
    fn document(&self) -> Value {
        Doc::default().text("Type", &self.issuer_type).value()
    }
}

impl Document for StringAttributeConstraints {
    fn document(&self) -> Value {
        Doc::default().text("MinLength", &self.min_length).text("MaxLength", &self.max_length).value()
    }
}

impl Document for NumberAttributeConstraints {
    fn document(&self) -> Value {
        Doc::default().text("MinValue", &self.min_value).text("MaxValue", &self.max_value).value()
    }
}

impl Document for SoftwareTokenMfaConfig {
    fn document(&self) -> Value {
        Doc::default().put("Enabled", self.enabled).value()
    }
}

impl Document for EmailMfaConfig {
    fn document(&self) -> Value {
        Doc::default().text("Message", &self.message).text("Subject", &self.subject).value()
    }
}

impl Document for SmsMfaConfig {
    fn document(&self) -> Value {
        Doc::default()
            .text("SmsAuthenticationMessage", &self.sms_authentication_message)
            .put_doc("SmsConfiguration", &self.sms_configuration)
            .value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn only_given_settings_are_written() {
        let options = PoolOptions {
            password_policy: Some(PasswordPolicySettings { minimum_length: Some(12), ..Default::default() }),
            admin_create_user: Some(AdminCreateUserConfig {
                invite_message_template: Some(MessageTemplate {
                    email_subject: Some("Hi".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            account_recovery: Some(AccountRecoverySetting::default()),
            tags: Some(BTreeMap::from([("team".to_string(), "core".to_string())])),
            ..Default::default()
        };
        assert_eq!(
            Value::Object(options.document()),
            json!({
                "Policies": {"PasswordPolicy": {"MinimumLength": 12}},
                "AdminCreateUserConfig": {"InviteMessageTemplate": {"EmailSubject": "Hi"}},
                "AccountRecoverySetting": {},
                "UserPoolTags": {"team": "core"},
            })
        );
        assert!(PoolOptions::default().document().is_empty());
    }

    #[test]
    fn lambda_config_writes_plain_and_versioned_triggers_under_their_names() {
        let l = LambdaConfig {
            arns: BTreeMap::from([("PreSignUp".to_string(), "arn:aws:lambda:x".to_string())]),
            versioned: BTreeMap::from([(
                "PreTokenGenerationConfig".to_string(),
                VersionedLambda { version: "V2_0".into(), arn: "arn:aws:lambda:y".into() },
            )]),
        };
        assert_eq!(
            l.document(),
            json!({"PreSignUp": "arn:aws:lambda:x",
                   "PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": "arn:aws:lambda:y"}})
        );
    }
}
