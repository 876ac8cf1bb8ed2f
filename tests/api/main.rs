//! One integration binary: every test spawns the real server and talks HTTP to it.

mod aws_sdk;
mod branding;
mod concurrency;
mod fake_idp;
mod federation;
mod federation_admin;
mod helpers;
mod i18n;
mod iam_sts;
mod identity_logins;
mod identity_pools;
mod keys;
mod malformed;
mod management;
mod mfa;
mod oauth_flow;
mod oidc_rp;
mod robustness;
mod signin;
mod signup;
mod smtp;
mod store;
mod users;
