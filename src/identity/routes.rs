//! Stand-in for Part B's identity issuer routes (discovery and JWKS under `{PUBLIC_URL}/identity`),
//! so Part A builds before Part B is merged. Replaced wholesale by Part B's file at merge.

use actix_web::web;

pub fn configure(_cfg: &mut web::ServiceConfig) {}
