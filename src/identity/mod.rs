//! Identity pools (`cognito-identity`): pools and their roles, identities and their linked
//! logins, and the flows that turn logins into an identity id, an OpenID token for it, or
//! short-lived credentials for a role.
//!
//! - [`pools`]: CreateIdentityPool and friends, tags; [`roles`]: roles, role mappings, choosing
//!   the role for a request.
//! - [`identities`]: GetId, linking and merging, describe/list/delete, UnlinkIdentity;
//!   [`credentials`]: GetCredentialsForIdentity, GetOpenIdToken; [`developer`]: the
//!   developer-authenticated flow.
//! - [`logins`]: validating a `Logins` entry; [`tokens`]: this service's OpenID tokens;
//!   [`routes`]: their issuer's discovery and keys.
//! - [`error`]: the exceptions, mapped to the JSON protocol by `crate::api`.

pub mod credentials;
pub mod developer;
pub mod error;
pub mod identities;
pub mod logins;
pub mod pools;
pub mod roles;
pub mod routes;
pub mod tokens;
