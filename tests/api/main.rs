//! One integration binary: every test spawns the real server and talks HTTP to it.

mod aws_sdk;
mod branding;
mod client_auth;
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
mod lockout;
mod management;
mod mfa;
mod oauth_flow;
mod oidc_rp;
mod proxies;
mod rate_limits;
mod revocation;
mod signin;
mod signup;
mod smtp;
mod store;
mod users;
