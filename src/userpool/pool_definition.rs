//! The typed commands that define a pool's settings: CreateUserPool ([`PoolDefinition`]),
//! UpdateUserPool ([`PoolChanges`]), SetUserPoolMfaConfig ([`PoolMfaChanges`]). The service
//! stores them as Cognito's document (`pool_document.rs`), which DescribeUserPool echoes. A
//! setting that is `None` was not given: the document leaves it out, or keeps Cognito's
//! default for it (`pools.rs`).
//!
//! The service reads some of these settings (password policy, MFA, templates, attributes); the
//! rest it stores and echoes, like Cognito's own answers do, without acting on them. Closed sets
//! the service decides by are enums; those it only echoes stay strings.

use super::model::MfaMode;
use std::collections::BTreeMap;

/// CreateUserPool: the name, the settings fixed at creation, and the changeable ones.
#[derive(Debug, Clone, Default)]
pub struct PoolDefinition {
    /// `PoolName`.
    pub name: String,
    /// `UsernameAttributes`: attributes users sign in with in place of a username.
    pub username_attributes: Option<Vec<String>>,
    /// `AliasAttributes`: attributes that also name a user.
    pub alias_attributes: Option<Vec<String>>,
    /// `UsernameConfiguration.CaseSensitive`.
    pub case_sensitive: Option<bool>,
    /// `Schema`: standard attributes to adjust and custom attributes to add.
    pub schema: Vec<SchemaAttribute>,
    /// The settings UpdateUserPool can change too.
    pub options: PoolOptions,
}

/// UpdateUserPool: settings not given return to their defaults (as in Cognito).
#[derive(Debug, Clone, Default)]
pub struct PoolChanges {
    /// `PoolName`; `None` keeps the name.
    pub name: Option<String>,
    pub options: PoolOptions,
}

/// The settings CreateUserPool and UpdateUserPool both take.
#[derive(Debug, Clone, Default)]
pub struct PoolOptions {
    /// `Policies.PasswordPolicy`: members not given keep Cognito's defaults.
    pub password_policy: Option<PasswordPolicySettings>,
    /// `Policies.SignInPolicy` (stored and echoed).
    pub sign_in_policy: Option<SignInPolicy>,
    /// `DeletionProtection`.
    pub deletion_protection: Option<DeletionProtection>,
    /// `LambdaConfig`: the functions [`crate::triggers`] invokes (PreSignUp, PreAuthentication,
    /// PostAuthentication, PostConfirmation, PreTokenGeneration V1; the others are stored and
    /// echoed).
    pub lambda_config: Option<LambdaConfig>,
    /// `AutoVerifiedAttributes`: attributes verified by a mailed code at sign-up.
    pub auto_verified_attributes: Option<Vec<String>>,
    /// `SmsVerificationMessage` (stored and echoed: no SMS is sent).
    pub sms_verification_message: Option<String>,
    /// `EmailVerificationMessage`, with `{####}` for the code.
    pub email_verification_message: Option<String>,
    /// `EmailVerificationSubject`.
    pub email_verification_subject: Option<String>,
    /// `VerificationMessageTemplate`, ahead of the two above.
    pub verification_message_template: Option<VerificationMessageTemplate>,
    /// `SmsAuthenticationMessage` (stored and echoed).
    pub sms_authentication_message: Option<String>,
    /// `MfaConfiguration`.
    pub mfa_mode: Option<MfaMode>,
    /// `UserAttributeUpdateSettings` (stored and echoed).
    pub user_attribute_update_settings: Option<UserAttributeUpdateSettings>,
    /// `DeviceConfiguration`: whether API sign-ins are issued to devices users can remember.
    pub device_configuration: Option<DeviceConfiguration>,
    /// `EmailConfiguration`: the sender and reply-to address of the pool's mails.
    pub email_configuration: Option<EmailConfiguration>,
    /// `SmsConfiguration` (stored and echoed).
    pub sms_configuration: Option<SmsConfiguration>,
    /// `UserPoolTags`.
    pub tags: Option<BTreeMap<String, String>>,
    /// `AdminCreateUserConfig`.
    pub admin_create_user: Option<AdminCreateUserConfig>,
    /// `UserPoolAddOns` (stored and echoed).
    pub add_ons: Option<UserPoolAddOns>,
    /// `AccountRecoverySetting`.
    pub account_recovery: Option<AccountRecoverySetting>,
    /// `UserPoolTier`: LITE, ESSENTIALS or PLUS (stored and echoed).
    pub tier: Option<String>,
    /// `KeyConfiguration` (stored and echoed).
    pub key_configuration: Option<KeyConfiguration>,
    /// `IssuerConfiguration` (stored and echoed).
    pub issuer_configuration: Option<IssuerConfiguration>,
}

/// `DeletionProtection`: ACTIVE refuses DeleteUserPool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionProtection {
    Active,
    Inactive,
}

impl DeletionProtection {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionProtection::Active => "ACTIVE",
            DeletionProtection::Inactive => "INACTIVE",
        }
    }
}

/// `PasswordPolicyType`, each member optional.
#[derive(Debug, Clone, Default)]
pub struct PasswordPolicySettings {
    /// `MinimumLength`.
    pub minimum_length: Option<i64>,
    /// `RequireUppercase`.
    pub require_uppercase: Option<bool>,
    /// `RequireLowercase`.
    pub require_lowercase: Option<bool>,
    /// `RequireNumbers`.
    pub require_numbers: Option<bool>,
    /// `RequireSymbols`.
    pub require_symbols: Option<bool>,
    /// `PasswordHistorySize` (stored and echoed).
    pub password_history_size: Option<i64>,
    /// `TemporaryPasswordValidityDays`.
    pub temporary_password_validity_days: Option<i64>,
}

/// `SignInPolicyType`.
#[derive(Debug, Clone, Default)]
pub struct SignInPolicy {
    /// `AllowedFirstAuthFactors`: PASSWORD, EMAIL_OTP, ….
    pub allowed_first_auth_factors: Option<Vec<String>>,
}

/// `LambdaConfigType`, by member; [`crate::triggers`] reads the ARNs from the stored document.
#[derive(Debug, Clone, Default)]
pub struct LambdaConfig {
    /// Members given as a function ARN (`PreSignUp`, …, `KMSKeyID`).
    pub arns: BTreeMap<String, String>,
    /// Members given with a version (`PreTokenGenerationConfig`, `CustomEmailSender`, …).
    pub versioned: BTreeMap<String, VersionedLambda>,
}

/// A trigger with its event version (`LambdaVersion`, `LambdaArn`).
#[derive(Debug, Clone, Default)]
pub struct VersionedLambda {
    /// `LambdaVersion`, e.g. `V2_0`.
    pub version: String,
    /// `LambdaArn`.
    pub arn: String,
}

/// `VerificationMessageTemplateType`.
#[derive(Debug, Clone, Default)]
pub struct VerificationMessageTemplate {
    /// `SmsMessage` (stored and echoed).
    pub sms_message: Option<String>,
    /// `EmailMessage`, with `{####}` for the code.
    pub email_message: Option<String>,
    /// `EmailSubject`.
    pub email_subject: Option<String>,
    /// `EmailMessageByLink` (stored and echoed: codes are mailed, not links).
    pub email_message_by_link: Option<String>,
    /// `EmailSubjectByLink` (stored and echoed).
    pub email_subject_by_link: Option<String>,
    /// `DefaultEmailOption`: CONFIRM_WITH_CODE or CONFIRM_WITH_LINK (stored and echoed).
    pub default_email_option: Option<String>,
}

/// `UserAttributeUpdateSettingsType`.
#[derive(Debug, Clone, Default)]
pub struct UserAttributeUpdateSettings {
    /// `AttributesRequireVerificationBeforeUpdate`.
    pub attributes_require_verification_before_update: Option<Vec<String>>,
}

/// `DeviceConfigurationType`.
#[derive(Debug, Clone, Default)]
pub struct DeviceConfiguration {
    /// `ChallengeRequiredOnNewDevice`.
    pub challenge_required_on_new_device: Option<bool>,
    /// `DeviceOnlyRememberedOnUserPrompt`.
    pub device_only_remembered_on_user_prompt: Option<bool>,
}

/// `EmailConfigurationType`.
#[derive(Debug, Clone, Default)]
pub struct EmailConfiguration {
    /// `SourceArn` (stored and echoed).
    pub source_arn: Option<String>,
    /// `ReplyToEmailAddress`.
    pub reply_to_email_address: Option<String>,
    /// `EmailSendingAccount`: COGNITO_DEFAULT or DEVELOPER (stored and echoed).
    pub email_sending_account: Option<String>,
    /// `From`: the sender of the pool's mails.
    pub from: Option<String>,
    /// `ConfigurationSet` (stored and echoed).
    pub configuration_set: Option<String>,
}

/// `SmsConfigurationType`.
#[derive(Debug, Clone, Default)]
pub struct SmsConfiguration {
    /// `SnsCallerArn`.
    pub sns_caller_arn: Option<String>,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `SnsRegion`.
    pub sns_region: Option<String>,
    /// `EumsSms`.
    pub eums_sms: Option<EumsSmsConfiguration>,
}

/// `EumsSmsConfigurationType` (AWS End User Messaging).
#[derive(Debug, Clone, Default)]
pub struct EumsSmsConfiguration {
    /// `CallerArn`.
    pub caller_arn: String,
    /// `ExternalId`.
    pub external_id: Option<String>,
    /// `OriginationIdentity`.
    pub origination_identity: Option<String>,
    /// `ConfigurationSetName`.
    pub configuration_set_name: Option<String>,
    /// `InEntityId`.
    pub in_entity_id: Option<String>,
    /// `InTemplateId`.
    pub in_template_id: Option<String>,
    /// `Region`.
    pub region: Option<String>,
}

/// `AdminCreateUserConfigType`.
#[derive(Debug, Clone, Default)]
pub struct AdminCreateUserConfig {
    /// `AllowAdminCreateUserOnly`: no self sign-up.
    pub allow_admin_create_user_only: Option<bool>,
    /// `UnusedAccountValidityDays` (stored and echoed).
    pub unused_account_validity_days: Option<i64>,
    /// `InviteMessageTemplate`: the invitation AdminCreateUser sends.
    pub invite_message_template: Option<MessageTemplate>,
}

/// `MessageTemplateType`: `{username}` and `{####}` (the temporary password) are filled in.
#[derive(Debug, Clone, Default)]
pub struct MessageTemplate {
    /// `SMSMessage` (stored and echoed).
    pub sms_message: Option<String>,
    /// `EmailMessage`.
    pub email_message: Option<String>,
    /// `EmailSubject`.
    pub email_subject: Option<String>,
}

/// `UserPoolAddOnsType`.
#[derive(Debug, Clone, Default)]
pub struct UserPoolAddOns {
    /// `AdvancedSecurityMode`: OFF, AUDIT or ENFORCED.
    pub advanced_security_mode: String,
    /// `AdvancedSecurityAdditionalFlows`.
    pub additional_flows: Option<AdvancedSecurityAdditionalFlows>,
}

/// `AdvancedSecurityAdditionalFlowsType`.
#[derive(Debug, Clone, Default)]
pub struct AdvancedSecurityAdditionalFlows {
    /// `CustomAuthMode`: AUDIT or ENFORCED.
    pub custom_auth_mode: Option<String>,
}

/// `AccountRecoverySettingType`.
#[derive(Debug, Clone, Default)]
pub struct AccountRecoverySetting {
    /// `RecoveryMechanisms`.
    pub recovery_mechanisms: Option<Vec<RecoveryOption>>,
}

/// `RecoveryOptionType`.
#[derive(Debug, Clone, Default)]
pub struct RecoveryOption {
    /// `Priority`: 1 or 2.
    pub priority: i64,
    /// `Name`: verified_email, verified_phone_number or admin_only.
    pub name: String,
}

/// `KeyConfigurationType`.
#[derive(Debug, Clone, Default)]
pub struct KeyConfiguration {
    /// `KeyType`: AWS_OWNED_KEY or CUSTOMER_MANAGED_KEY.
    pub key_type: Option<String>,
    /// `KmsKeyArn`.
    pub kms_key_arn: Option<String>,
}

/// `IssuerConfigurationType`.
#[derive(Debug, Clone, Default)]
pub struct IssuerConfiguration {
    /// `Type`: ORIGINAL or UPDATED.
    pub issuer_type: Option<String>,
}

/// One `SchemaAttributeType` of CreateUserPool's `Schema`.
#[derive(Debug, Clone, Default)]
pub struct SchemaAttribute {
    /// `Name`: a standard attribute's, or a custom one's with or without `custom:`.
    pub name: Option<String>,
    /// `AttributeDataType` (String for a custom attribute when not given).
    pub data_type: Option<AttributeDataType>,
    /// `DeveloperOnlyAttribute`: a custom attribute only administrators read and write.
    pub developer_only: bool,
    /// `Mutable`.
    pub mutable: Option<bool>,
    /// `Required`.
    pub required: Option<bool>,
    /// `StringAttributeConstraints`.
    pub string_constraints: Option<StringAttributeConstraints>,
    /// `NumberAttributeConstraints`.
    pub number_constraints: Option<NumberAttributeConstraints>,
}

/// `AttributeDataType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeDataType {
    String,
    Number,
    DateTime,
    Boolean,
}

impl AttributeDataType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeDataType::String => "String",
            AttributeDataType::Number => "Number",
            AttributeDataType::DateTime => "DateTime",
            AttributeDataType::Boolean => "Boolean",
        }
    }
}

/// `StringAttributeConstraintsType` (lengths as strings, as Cognito has them).
#[derive(Debug, Clone, Default)]
pub struct StringAttributeConstraints {
    /// `MinLength`.
    pub min_length: Option<String>,
    /// `MaxLength`.
    pub max_length: Option<String>,
}

/// `NumberAttributeConstraintsType` (bounds as strings, as Cognito has them).
#[derive(Debug, Clone, Default)]
pub struct NumberAttributeConstraints {
    /// `MinValue`.
    pub min_value: Option<String>,
    /// `MaxValue`.
    pub max_value: Option<String>,
}

/// SetUserPoolMfaConfig: each setting given replaces the pool's.
#[derive(Debug, Clone, Default)]
pub struct PoolMfaChanges {
    /// `MfaConfiguration`.
    pub mode: Option<MfaMode>,
    /// `SoftwareTokenMfaConfiguration`.
    pub software_token: Option<SoftwareTokenMfaConfig>,
    /// `EmailMfaConfiguration`: setting it makes e-mail OTP a factor.
    pub email: Option<EmailMfaConfig>,
    /// `SmsMfaConfiguration` (stored and echoed: no SMS is sent).
    pub sms: Option<SmsMfaConfig>,
    /// `WebAuthnConfiguration`: the passkeys' relying party.
    pub webauthn: Option<WebAuthnConfig>,
}

/// `WebAuthnConfigurationType`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebAuthnConfig {
    /// `RelyingPartyId`: the domain passkeys are bound to (the server's own host when not set).
    pub relying_party_id: Option<String>,
    /// `UserVerification`: `required` or `preferred` (stored and echoed: passkeys here always
    /// require user verification, as webauthn-rs's passkey policy does).
    pub user_verification: Option<String>,
    /// `FactorConfiguration`: `SINGLE_FACTOR` or `MULTI_FACTOR_WITH_USER_VERIFICATION`; the
    /// latter lets a passkey sign in while MFA is required.
    pub factor_configuration: Option<String>,
}

/// `SoftwareTokenMfaConfigType`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SoftwareTokenMfaConfig {
    /// `Enabled`: TOTP is a factor unless false.
    pub enabled: Option<bool>,
}

/// The second factors a pool offers, set together (the dashboard's settings form): TOTP on or off,
/// e-mail codes with their mail, or off (`None`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MfaFactors {
    pub totp: bool,
    pub email: Option<EmailMfaConfig>,
}

/// `EmailMfaConfigType`: the sign-in code mail, `{####}` for the code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmailMfaConfig {
    /// `Message`.
    pub message: Option<String>,
    /// `Subject`.
    pub subject: Option<String>,
}

/// `SmsMfaConfigType`.
#[derive(Debug, Clone, Default)]
pub struct SmsMfaConfig {
    /// `SmsAuthenticationMessage`.
    pub sms_authentication_message: Option<String>,
    /// `SmsConfiguration`.
    pub sms_configuration: Option<SmsConfiguration>,
}
