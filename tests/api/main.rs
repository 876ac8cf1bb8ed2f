//! One integration binary: every test spawns the real server and talks HTTP to it.

mod attribute_writes;
mod aws_sdk;
mod branding;
mod concurrency;
mod enumeration;
mod fake_idp;
mod federation;
mod federation_admin;
mod helpers;
mod i18n;
mod iam_sts;
mod identity_logins;
mod identity_pools;
mod keys;
mod management;
mod mfa;
mod oauth_flow;
mod oidc_rp;
mod signin;
mod signup;
mod smtp;
mod store;
mod users;
