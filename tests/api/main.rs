//! One integration binary: every test spawns the real server and talks HTTP to it.

mod helpers;
mod management;
mod oauth_flow;
mod users;
mod signin;
mod concurrency;
mod aws_sdk;
mod oidc_rp;
mod keys;
