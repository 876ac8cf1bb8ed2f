//! Cognito's request documents for pools, their MFA settings, domains and resource servers, as
//! the services' commands. The model has checked the shapes already; a member that is absent
//! or null is not given.

use super::{given_strings, given_text, s};
use crate::userpool::model::MfaMode;
use crate::userpool::pool_definition::{
    AccountRecoverySetting, AdminCreateUserConfig, AdvancedSecurityAdditionalFlows, AttributeDataType,
    DeletionProtection, DeviceConfiguration, EmailConfiguration, EmailMfaConfig, EumsSmsConfiguration,
    IssuerConfiguration, KeyConfiguration, LambdaConfig, MessageTemplate, NumberAttributeConstraints,
    PasswordPolicySettings, PoolChanges, PoolDefinition, PoolMfaChanges, PoolOptions, RecoveryOption, SchemaAttribute,
    SignInPolicy, SmsConfiguration, SmsMfaConfig, SoftwareTokenMfaConfig, StringAttributeConstraints,
    UserAttributeUpdateSettings, UserPoolAddOns, VerificationMessageTemplate, VersionedLambda, WebAuthnConfig,
};
use crate::userpool::resources::{CustomDomainConfig, NewDomain, ResourceServerDefinition, ResourceServerScope};
use serde_json::Value;
use std::collections::BTreeMap;

fn text(v: &Value, k: &str) -> Option<String> {
    given_text(&v[k])
}

fn flag(v: &Value, k: &str) -> Option<bool> {
    v[k].as_bool()
}

fn int(v: &Value, k: &str) -> Option<i64> {
    v[k].as_i64()
}

fn strings(v: &Value, k: &str) -> Option<Vec<String>> {
    given_strings(&v[k])
}

/// A structure member, read by `read` when it is given.
fn structure<T>(v: &Value, k: &str, read: fn(&Value) -> T) -> Option<T> {
    let member = &v[k];
    member.is_object().then(|| read(member))
}

/// CreateUserPool's request.
pub(crate) fn pool_definition(i: &Value) -> PoolDefinition {
    PoolDefinition {
        name: s(i, "PoolName").to_string(),
        username_attributes: strings(i, "UsernameAttributes"),
        alias_attributes: strings(i, "AliasAttributes"),
        case_sensitive: i["UsernameConfiguration"]["CaseSensitive"].as_bool(),
        schema: i["Schema"].as_array().into_iter().flatten().map(schema_attribute).collect(),
        options: pool_options(i),
    }
}

/// UpdateUserPool's request.
pub(crate) fn pool_changes(i: &Value) -> PoolChanges {
    PoolChanges { name: text(i, "PoolName"), options: pool_options(i) }
}

fn pool_options(i: &Value) -> PoolOptions {
    let policies = &i["Policies"];
    PoolOptions {
        password_policy: structure(policies, "PasswordPolicy", password_policy),
        sign_in_policy: structure(policies, "SignInPolicy", |v| SignInPolicy {
            allowed_first_auth_factors: strings(v, "AllowedFirstAuthFactors"),
        }),
        deletion_protection: match s(i, "DeletionProtection") {
            "ACTIVE" => Some(DeletionProtection::Active),
            "INACTIVE" => Some(DeletionProtection::Inactive),
            _ => None,
        },
        lambda_config: structure(i, "LambdaConfig", lambda_config),
        auto_verified_attributes: strings(i, "AutoVerifiedAttributes"),
        sms_verification_message: text(i, "SmsVerificationMessage"),
        email_verification_message: text(i, "EmailVerificationMessage"),
        email_verification_subject: text(i, "EmailVerificationSubject"),
        verification_message_template: structure(i, "VerificationMessageTemplate", |v| VerificationMessageTemplate {
            sms_message: text(v, "SmsMessage"),
            email_message: text(v, "EmailMessage"),
            email_subject: text(v, "EmailSubject"),
            email_message_by_link: text(v, "EmailMessageByLink"),
            email_subject_by_link: text(v, "EmailSubjectByLink"),
            default_email_option: text(v, "DefaultEmailOption"),
        }),
        sms_authentication_message: text(i, "SmsAuthenticationMessage"),
        mfa_mode: mfa_mode(i),
        user_attribute_update_settings: structure(i, "UserAttributeUpdateSettings", |v| UserAttributeUpdateSettings {
            attributes_require_verification_before_update: strings(v, "AttributesRequireVerificationBeforeUpdate"),
        }),
        device_configuration: structure(i, "DeviceConfiguration", |v| DeviceConfiguration {
            challenge_required_on_new_device: flag(v, "ChallengeRequiredOnNewDevice"),
            device_only_remembered_on_user_prompt: flag(v, "DeviceOnlyRememberedOnUserPrompt"),
        }),
        email_configuration: structure(i, "EmailConfiguration", |v| EmailConfiguration {
            source_arn: text(v, "SourceArn"),
            reply_to_email_address: text(v, "ReplyToEmailAddress"),
            email_sending_account: text(v, "EmailSendingAccount"),
            from: text(v, "From"),
            configuration_set: text(v, "ConfigurationSet"),
        }),
        sms_configuration: structure(i, "SmsConfiguration", sms_configuration),
        tags: structure(i, "UserPoolTags", |v| {
            let entries = v.as_object().into_iter().flatten();
            entries.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect::<BTreeMap<_, _>>()
        }),
        admin_create_user: structure(i, "AdminCreateUserConfig", |v| AdminCreateUserConfig {
            allow_admin_create_user_only: flag(v, "AllowAdminCreateUserOnly"),
            unused_account_validity_days: int(v, "UnusedAccountValidityDays"),
            invite_message_template: structure(v, "InviteMessageTemplate", |t| MessageTemplate {
                sms_message: text(t, "SMSMessage"),
                email_message: text(t, "EmailMessage"),
                email_subject: text(t, "EmailSubject"),
            }),
        }),
        add_ons: structure(i, "UserPoolAddOns", |v| UserPoolAddOns {
            advanced_security_mode: s(v, "AdvancedSecurityMode").to_string(),
            additional_flows: structure(v, "AdvancedSecurityAdditionalFlows", |f| AdvancedSecurityAdditionalFlows {
                custom_auth_mode: text(f, "CustomAuthMode"),
            }),
        }),
        account_recovery: structure(i, "AccountRecoverySetting", |v| AccountRecoverySetting {
            recovery_mechanisms: v["RecoveryMechanisms"].as_array().map(|l| {
                l.iter()
                    .map(|o| RecoveryOption {
                        priority: int(o, "Priority").unwrap_or_default(),
                        name: s(o, "Name").into(),
                    })
                    .collect()
            }),
        }),
        tier: text(i, "UserPoolTier"),
        key_configuration: structure(i, "KeyConfiguration", |v| KeyConfiguration {
            key_type: text(v, "KeyType"),
            kms_key_arn: text(v, "KmsKeyArn"),
        }),
        issuer_configuration: structure(i, "IssuerConfiguration", |v| IssuerConfiguration {
            issuer_type: text(v, "Type"),
        }),
    }
}

fn password_policy(v: &Value) -> PasswordPolicySettings {
    PasswordPolicySettings {
        minimum_length: int(v, "MinimumLength"),
        require_uppercase: flag(v, "RequireUppercase"),
        require_lowercase: flag(v, "RequireLowercase"),
        require_numbers: flag(v, "RequireNumbers"),
        require_symbols: flag(v, "RequireSymbols"),
        password_history_size: int(v, "PasswordHistorySize"),
        temporary_password_validity_days: int(v, "TemporaryPasswordValidityDays"),
    }
}

/// `LambdaConfig`: plain ARNs and versioned triggers, each under its member name.
fn lambda_config(v: &Value) -> LambdaConfig {
    let mut out = LambdaConfig::default();
    for (k, member) in v.as_object().into_iter().flatten() {
        if let Some(arn) = member.as_str() {
            out.arns.insert(k.clone(), arn.to_string());
        } else if member.is_object() {
            let l = VersionedLambda { version: s(member, "LambdaVersion").into(), arn: s(member, "LambdaArn").into() };
            out.versioned.insert(k.clone(), l);
        }
    }
    out
}

fn sms_configuration(v: &Value) -> SmsConfiguration {
    SmsConfiguration {
        sns_caller_arn: text(v, "SnsCallerArn"),
        external_id: text(v, "ExternalId"),
        sns_region: text(v, "SnsRegion"),
        eums_sms: structure(v, "EumsSms", |e| EumsSmsConfiguration {
            caller_arn: s(e, "CallerArn").into(),
            external_id: text(e, "ExternalId"),
            origination_identity: text(e, "OriginationIdentity"),
            configuration_set_name: text(e, "ConfigurationSetName"),
            in_entity_id: text(e, "InEntityId"),
            in_template_id: text(e, "InTemplateId"),
            region: text(e, "Region"),
        }),
    }
}

pub(super) fn schema_attribute(a: &Value) -> SchemaAttribute {
    SchemaAttribute {
        name: text(a, "Name"),
        data_type: match s(a, "AttributeDataType") {
            "String" => Some(AttributeDataType::String),
            "Number" => Some(AttributeDataType::Number),
            "DateTime" => Some(AttributeDataType::DateTime),
            "Boolean" => Some(AttributeDataType::Boolean),
            _ => None,
        },
        developer_only: a["DeveloperOnlyAttribute"] == true,
        mutable: flag(a, "Mutable"),
        required: flag(a, "Required"),
        string_constraints: structure(a, "StringAttributeConstraints", |c| StringAttributeConstraints {
            min_length: text(c, "MinLength"),
            max_length: text(c, "MaxLength"),
        }),
        number_constraints: structure(a, "NumberAttributeConstraints", |c| NumberAttributeConstraints {
            min_value: text(c, "MinValue"),
            max_value: text(c, "MaxValue"),
        }),
    }
}

fn mfa_mode(i: &Value) -> Option<MfaMode> {
    match s(i, "MfaConfiguration") {
        "OFF" => Some(MfaMode::Off),
        "OPTIONAL" => Some(MfaMode::Optional),
        "ON" => Some(MfaMode::On),
        _ => None,
    }
}

/// SetUserPoolMfaConfig's request.
pub(crate) fn pool_mfa_changes(i: &Value) -> PoolMfaChanges {
    PoolMfaChanges {
        mode: mfa_mode(i),
        software_token: structure(i, "SoftwareTokenMfaConfiguration", |v| SoftwareTokenMfaConfig {
            enabled: flag(v, "Enabled"),
        }),
        email: structure(i, "EmailMfaConfiguration", |v| EmailMfaConfig {
            message: text(v, "Message"),
            subject: text(v, "Subject"),
        }),
        sms: structure(i, "SmsMfaConfiguration", |v| SmsMfaConfig {
            sms_authentication_message: text(v, "SmsAuthenticationMessage"),
            sms_configuration: structure(v, "SmsConfiguration", sms_configuration),
        }),
        webauthn: structure(i, "WebAuthnConfiguration", |v| WebAuthnConfig {
            relying_party_id: text(v, "RelyingPartyId"),
            user_verification: text(v, "UserVerification"),
            factor_configuration: text(v, "FactorConfiguration"),
        }),
    }
}

/// CreateUserPoolDomain's request.
pub(crate) fn new_domain(i: &Value) -> NewDomain {
    NewDomain {
        domain: s(i, "Domain").to_string(),
        custom: structure(i, "CustomDomainConfig", |c| CustomDomainConfig {
            certificate_arn: s(c, "CertificateArn").to_string(),
            security_policy: text(c, "SecurityPolicy"),
        }),
        managed_login_version: int(i, "ManagedLoginVersion"),
    }
}

/// CreateResourceServer's and UpdateResourceServer's request.
pub(crate) fn resource_server(i: &Value) -> ResourceServerDefinition {
    let scopes = i["Scopes"].as_array().into_iter().flatten();
    ResourceServerDefinition {
        identifier: s(i, "Identifier").to_string(),
        name: s(i, "Name").to_string(),
        scopes: scopes
            .map(|sc| ResourceServerScope {
                name: s(sc, "ScopeName").to_string(),
                description: s(sc, "ScopeDescription").to_string(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every setting UpdateUserPool's model knows, nested members included.
    fn every_setting() -> Value {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
        let versioned = json!({"LambdaVersion": "V2_0", "LambdaArn": arn});
        json!({
            "Policies": {
                "PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": false, "RequireLowercase": true,
                    "RequireNumbers": false, "RequireSymbols": true, "PasswordHistorySize": 3,
                    "TemporaryPasswordValidityDays": 2},
                "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}
            },
            "DeletionProtection": "ACTIVE",
            "LambdaConfig": {"PreSignUp": arn, "KMSKeyID": arn, "PreTokenGenerationConfig": versioned,
                "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": arn}},
            "AutoVerifiedAttributes": ["email"],
            "SmsVerificationMessage": "sms {####}",
            "EmailVerificationMessage": "mail {####}",
            "EmailVerificationSubject": "subject",
            "VerificationMessageTemplate": {"SmsMessage": "sms {####}", "EmailMessage": "mail {####}",
                "EmailSubject": "s", "EmailMessageByLink": "link {##x##}", "EmailSubjectByLink": "l",
                "DefaultEmailOption": "CONFIRM_WITH_LINK"},
            "SmsAuthenticationMessage": "auth {####}",
            "MfaConfiguration": "OPTIONAL",
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": false},
            "EmailConfiguration": {"SourceArn": arn, "ReplyToEmailAddress": "help@example.com",
                "EmailSendingAccount": "DEVELOPER", "From": "team@example.com", "ConfigurationSet": "set"},
            "SmsConfiguration": {"SnsCallerArn": arn, "ExternalId": "x", "SnsRegion": "us-east-1",
                "EumsSms": {"CallerArn": arn, "ExternalId": "e", "OriginationIdentity": "o",
                    "ConfigurationSetName": "c", "InEntityId": "i", "InTemplateId": "t", "Region": "eu-west-1"}},
            "UserPoolTags": {"team": "core", "cost": "1"},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true, "UnusedAccountValidityDays": 3,
                "InviteMessageTemplate": {"SMSMessage": "{username} {####}", "EmailMessage": "{username} {####}",
                    "EmailSubject": "Welcome"}},
            "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT",
                "AdvancedSecurityAdditionalFlows": {"CustomAuthMode": "ENFORCED"}},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"},
                {"Priority": 2, "Name": "admin_only"}]},
            "UserPoolTier": "PLUS",
            "KeyConfiguration": {"KeyType": "CUSTOMER_MANAGED_KEY", "KmsKeyArn": arn},
            "IssuerConfiguration": {"Type": "UPDATED"},
        })
    }

    #[test]
    fn every_pool_setting_given_is_written_back_as_it_was_given() {
        let mut input = every_setting();
        let written = Value::Object(pool_changes(&input).options.document());
        assert_eq!(written, input);
        input["UserPoolId"] = json!("local_abc");
        input["PoolName"] = json!("renamed");
        let changes = pool_changes(&input);
        assert_eq!(changes.name.as_deref(), Some("renamed"));
        assert!(!changes.options.document().contains_key("PoolName"));
    }

    #[test]
    fn empty_settings_stay_empty_and_null_members_are_not_given() {
        let input = json!({"Policies": {}, "LambdaConfig": {}, "AccountRecoverySetting": {},
            "VerificationMessageTemplate": {"EmailMessage": null}});
        let written = Value::Object(pool_changes(&input).options.document());
        assert_eq!(
            written,
            json!({"LambdaConfig": {}, "AccountRecoverySetting": {}, "VerificationMessageTemplate": {}})
        );
        let nulls = json!({"Policies": null, "MfaConfiguration": null, "UserPoolTags": null, "PoolName": null});
        let changes = pool_changes(&nulls);
        assert!(changes.options.document().is_empty() && changes.name.is_none());
    }

    #[test]
    fn pool_definition_reads_the_fixed_settings_and_the_schema() {
        let mut input = every_setting();
        input["PoolName"] = json!("p");
        input["UsernameAttributes"] = json!(["email"]);
        input["AliasAttributes"] = json!([]);
        input["UsernameConfiguration"] = json!({"CaseSensitive": false});
        input["Schema"] = json!([
            {"Name": "tier", "AttributeDataType": "Number", "DeveloperOnlyAttribute": true, "Mutable": false,
             "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "9"}},
            {"Name": "email", "Required": true, "StringAttributeConstraints": {"MaxLength": "64"}},
        ]);
        let def = pool_definition(&input);
        assert_eq!(def.name, "p");
        assert_eq!(
            Value::Object(def.fixed_document()),
            json!({"UsernameAttributes": ["email"], "AliasAttributes": [], "UsernameConfiguration": {"CaseSensitive": false}})
        );
        assert_eq!(Value::Object(def.options.document()), every_setting());
        let [tier, email] = &def.schema[..] else { panic!("two attributes") };
        assert_eq!(tier.name.as_deref(), Some("tier"));
        assert_eq!(tier.data_type, Some(AttributeDataType::Number));
        assert!(tier.developer_only && tier.mutable == Some(false) && tier.required.is_none());
        let c = tier.number_constraints.as_ref().unwrap();
        assert_eq!((c.min_value.as_deref(), c.max_value.as_deref()), (Some("1"), Some("9")));
        assert!(email.data_type.is_none() && !email.developer_only && email.required == Some(true));
        let c = email.string_constraints.as_ref().unwrap();
        assert_eq!((c.min_length.as_deref(), c.max_length.as_deref()), (None, Some("64")));
        assert!(pool_definition(&json!({"PoolName": "p"})).fixed_document().is_empty());
    }

    #[test]
    fn pool_mfa_changes_are_written_back_as_given() {
        let mut input = json!({
            "MfaConfiguration": "ON",
            "SoftwareTokenMfaConfiguration": {"Enabled": false},
            "EmailMfaConfiguration": {"Message": "Code {####}", "Subject": "Code"},
            "SmsMfaConfiguration": {"SmsAuthenticationMessage": "{####}",
                "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms"}},
        });
        assert_eq!(Value::Object(pool_mfa_changes(&input).document()), input);
        input["WebAuthnConfiguration"] = json!({"RelyingPartyId": "example.com", "UserVerification": "preferred"});
        assert_eq!(Value::Object(pool_mfa_changes(&input).document()), input, "the passkeys' settings too");
        input["UserPoolId"] = json!("local_abc");
        assert_eq!(pool_mfa_changes(&input).document().len(), 5, "only the settings the pool keeps");
        let empty = pool_mfa_changes(&json!({"SoftwareTokenMfaConfiguration": {}}));
        assert_eq!(empty.software_token, Some(SoftwareTokenMfaConfig { enabled: None }));
        assert!(empty.mode.is_none() && empty.email.is_none());
    }

    #[test]
    fn domains_and_resource_servers_read_their_members() {
        let d = new_domain(&json!({"Domain": "auth.example.com", "ManagedLoginVersion": 2,
            "CustomDomainConfig": {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/c"}}));
        assert_eq!((d.domain.as_str(), d.managed_login_version), ("auth.example.com", Some(2)));
        let c = d.custom.unwrap();
        assert_eq!(
            (c.certificate_arn.as_str(), c.security_policy),
            ("arn:aws:acm:us-east-1:123456789012:certificate/c", None)
        );
        let prefix = new_domain(&json!({"Domain": "myapp"}));
        assert!(prefix.custom.is_none() && prefix.managed_login_version.is_none());
        let r = resource_server(&json!({"Identifier": "api", "Name": "API",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}, {"ScopeName": "write", "ScopeDescription": "Write"}]}));
        let scopes: Vec<(&str, &str)> = r.scopes.iter().map(|s| (s.name.as_str(), s.description.as_str())).collect();
        assert_eq!((r.identifier.as_str(), r.name.as_str()), ("api", "API"));
        assert_eq!(scopes, [("read", "Read"), ("write", "Write")]);
        assert!(resource_server(&json!({"Identifier": "api", "Name": "API"})).scopes.is_empty());
    }
}
