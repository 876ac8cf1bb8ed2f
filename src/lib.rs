//! Portcullis: a self-hosted identity provider that speaks Amazon Cognito's protocols.
//!
//! Data flows one way: surface → service → store.
//! - Surfaces parse HTTP and render: [`api`] (Cognito JSON protocol), [`oauth`] (OIDC endpoints),
//!   [`hosted_ui`] (askama pages), [`admin`] (the operators' dashboard), [`health`], [`uploads`]
//!   (the pre-signed URLs user import files are PUT to).
//! - Services hold the rules: [`userpool`] (pools, clients, users, groups, the sign-in engine),
//!   [`tokens`] (signing keys, JWTs, refresh tokens, revocation), [`identity_pools`] (identity pools:
//!   pools, identities, logins, role mapping, credentials, their OpenID token issuer),
//!   [`federation`] (upstream identity providers), [`iam`] (roles, trust policies, temporary
//!   credentials), [`events`] (the event log: sign-in events and the audit trail), [`operators`]
//!   (the system pool, dashboard operators and their sessions), [`transfer`] (user import jobs
//!   and exports), [`triggers`] (a pool's Lambda
//!   triggers: invoking them and retrying the post-* ones).
//! - [`store`] holds the rows: portable SQL through sqlx on SQLite or PostgreSQL.
//!   [`mail`] delivers what they write (SMTP or an outbox folder).
//! - Shared infrastructure: [`config`], [`clock`], [`crypto`], [`startup`], [`tls`] (HTTPS and its
//!   certificate reload), [`i18n`] (languages and the message catalogue of pages and mails),
//!   [`ids`] (the typed identifiers every layer shares). [`doctor`] checks a deployment.

// Surface helpers return finished HTTP responses as their error type on purpose.
#![allow(clippy::result_large_err)]

pub mod admin;
pub mod api;
mod architecture;
pub mod authorization;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod doctor;
pub mod events;
pub mod federation;
pub mod health;
pub mod hosted_ui;
pub mod i18n;
pub mod iam;
pub mod identity_pools;
pub mod ids;
pub mod input;
pub mod mail;
pub mod metrics;
pub mod oauth;
pub mod operators;
pub mod services;
pub mod startup;
pub mod store;
pub mod tags;
pub mod telemetry;
pub mod tls;
pub mod tokens;
pub mod transfer;
pub mod triggers;
pub mod uploads;
pub mod userpool;
pub mod web;
