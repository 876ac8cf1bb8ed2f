//! A pool's settings form: name, password policy, MFA and its factors (with the sign-in code
//! mail), sign-up, e-mail verification and the verification and invitation mails, deletion
//! protection. Saving changes only what the form shows; every other setting stays
//! (`UserPools::adjust_pool`), unlike UpdateUserPool, which resets what it is not given. Below it,
//! the attribute schema, which only grows: custom attributes are added (AddCustomAttributes).

use super::{Access, Change, Configure, InPool, Layout, Read, internal, page, see_other};
use crate::userpool::error::Error;
use crate::userpool::model::{MfaMode, Pool};
use crate::userpool::pool_definition::{
    AdminCreateUserConfig, DeletionProtection, EmailMfaConfig, MessageTemplate, MfaFactors, PasswordPolicySettings,
    PoolOptions, VerificationMessageTemplate,
};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    pool: Pool,
    mfa: &'static str,
    email_subject: String,
    email_message: String,
    invite_subject: String,
    invite_message: String,
    mfa_subject: String,
    mfa_message: String,
    schema: Vec<SchemaLine>,
    error: Option<String>,
}

/// One attribute of the schema, as the page lists it.
struct SchemaLine {
    name: String,
    data_type: String,
    required: bool,
    mutable: bool,
    developer_only: bool,
}

fn schema_lines(pool: &Pool) -> Vec<SchemaLine> {
    pool.schema()
        .iter()
        .map(|a| SchemaLine {
            name: a["Name"].as_str().unwrap_or_default().to_string(),
            data_type: a["AttributeDataType"].as_str().unwrap_or("String").to_string(),
            required: a["Required"] == true,
            mutable: a["Mutable"] != false,
            developer_only: a["DeveloperOnlyAttribute"] == true,
        })
        .collect()
}

fn text_of(pool: &Pool, member: &str) -> String {
    pool.config["VerificationMessageTemplate"][member].as_str().unwrap_or_default().to_string()
}

fn invite_of(pool: &Pool, member: &str) -> String {
    pool.config["AdminCreateUserConfig"]["InviteMessageTemplate"][member].as_str().unwrap_or_default().to_string()
}

fn settings_page(layout: Layout, pool: Pool, error: Option<String>) -> HttpResponse {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page(
        status,
        &SettingsPage {
            layout,
            mfa: pool.mfa_mode().as_str(),
            email_subject: text_of(&pool, "EmailSubject"),
            email_message: text_of(&pool, "EmailMessage"),
            invite_subject: invite_of(&pool, "EmailSubject"),
            invite_message: invite_of(&pool, "EmailMessage"),
            mfa_subject: pool.config["EmailMfaConfiguration"]["Subject"].as_str().unwrap_or_default().to_string(),
            mfa_message: pool.config["EmailMfaConfiguration"]["Message"].as_str().unwrap_or_default().to_string(),
            schema: schema_lines(&pool),
            pool,
            error,
        },
    )
}

/// `/admin/pools/{pool}/settings`: the form (read only below the admin role).
pub async fn show(a: InPool<Access<Read>>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    settings_page(Layout::of(&a.op, "pools", None), pool, None)
}

/// The form as the settings it changes.
fn changes(c: &Change<Configure>) -> Result<PoolOptions, String> {
    let f = &c.form;
    let number = |name: &str, lo: i64, hi: i64, what: &str| -> Result<Option<i64>, String> {
        match f.text(name) {
            None => Ok(None),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                _ => Err(format!("{what} is a whole number from {lo} to {hi}.")),
            },
        }
    };
    let mfa = match f.get("mfa") {
        "ON" => MfaMode::On,
        "OPTIONAL" => MfaMode::Optional,
        _ => MfaMode::Off,
    };
    let message = f.text("email_message");
    if message.as_deref().is_some_and(|m| !m.contains("{####}")) {
        return Err("The verification message must contain {####}, where the code goes.".into());
    }
    Ok(PoolOptions {
        password_policy: Some(PasswordPolicySettings {
            minimum_length: number("min_length", 6, 99, "The minimum length")?,
            require_uppercase: Some(f.checked("require_uppercase")),
            require_lowercase: Some(f.checked("require_lowercase")),
            require_numbers: Some(f.checked("require_numbers")),
            require_symbols: Some(f.checked("require_symbols")),
            temporary_password_validity_days: number("temporary_days", 1, 365, "The temporary password validity")?,
            ..Default::default()
        }),
        mfa_mode: Some(mfa),
        admin_create_user: Some(AdminCreateUserConfig {
            allow_admin_create_user_only: Some(!f.checked("self_sign_up")),
            // The service holds an invitation to naming {username} and {####}.
            invite_message_template: (f.has("invite_message") || f.has("invite_subject")).then(|| MessageTemplate {
                email_subject: f.text("invite_subject"),
                email_message: f.text("invite_message"),
                sms_message: None,
            }),
            ..Default::default()
        }),
        auto_verified_attributes: Some(if f.checked("verify_email") { vec!["email".into()] } else { Vec::new() }),
        verification_message_template: Some(VerificationMessageTemplate {
            email_subject: f.text("email_subject"),
            email_message: message,
            ..Default::default()
        }),
        deletion_protection: Some(if f.checked("deletion_protection") {
            DeletionProtection::Active
        } else {
            DeletionProtection::Inactive
        }),
        ..Default::default()
    })
}

/// The factors the form sets, when it shows them (the `factors` field says it does).
fn factors(c: &Change<Configure>) -> Option<MfaFactors> {
    let f = &c.form;
    f.has("factors").then(|| MfaFactors {
        totp: f.checked("totp"),
        email: f
            .checked("email_mfa")
            .then(|| EmailMfaConfig { subject: f.text("mfa_subject"), message: f.text("mfa_message") }),
    })
}

/// `POST /admin/pools/{pool}/settings` (admins).
pub async fn save(c: InPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let layout = Layout::of(&c.op, "pools", None);
    let options = match changes(&c) {
        Ok(o) => o,
        Err(e) => return settings_page(layout, pool, Some(e)),
    };
    match c.svc.user_pools.adjust_pool(&pool.id, c.form.text("name"), &options, factors(&c).as_ref()).await {
        Ok(()) => {
            let after = match c.svc.directory.pool(&pool.id).await {
                Ok(p) => serde_json::json!({"PoolName": p.name, "Settings": *p.config}),
                Err(e) => return internal(e),
            };
            let before = serde_json::json!({"PoolName": pool.name, "Settings": *pool.config});
            let details = crate::events::changes(&before, &after);
            c.audit(Some(&pool.id), "UpdateUserPool", format!("pool:{}", pool.id), details).await;
            see_other(&format!("/admin/pools/{}?notice=changed", pool.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => settings_page(layout, pool, Some(e.to_string())),
    }
}

/// `POST /admin/pools/{pool}/attributes` (admins): add custom attributes, `name` or `name: Type`
/// per line, as AddCustomAttributes does.
pub async fn add_attributes(c: InPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let layout = Layout::of(&c.op, "pools", None);
    let lines = c.form.lines("custom_attributes");
    let attributes = match super::pools::custom_attributes(&lines) {
        Ok(a) => a,
        Err(e) => return settings_page(layout, pool, Some(e)),
    };
    match c.svc.user_pools.add_custom_attributes(&pool.id, &attributes).await {
        Ok(_) => {
            let names: Vec<_> = attributes.iter().filter_map(|a| a.name.clone()).collect();
            let details = serde_json::json!({"CustomAttributes": names});
            c.audit(Some(&pool.id), "AddCustomAttributes", format!("pool:{}", pool.id), details).await;
            see_other(&format!("/admin/pools/{}/settings", pool.id))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => settings_page(layout, pool, Some(e.to_string())),
    }
}
