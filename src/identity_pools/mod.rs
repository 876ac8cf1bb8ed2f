//! Identity pools (`cognito-identity`, Cognito Federated Identities): pools and
//! their roles, identities and their linked logins, and the flows that turn logins into an
//! identity id, an OpenID token for it, or short-lived credentials for a role.
//!
//! - [`pools`]: CreateIdentityPool and friends, tags; [`roles`]: roles, role mappings, choosing
//!   the role for a request.
//! - [`identities`]: GetId, linking and merging, describe/list/delete, UnlinkIdentity;
//!   [`credentials`]: GetCredentialsForIdentity, GetOpenIdToken; [`developer`]: the
//!   developer-authenticated flow.
//! - [`logins`]: the logins an identity pool accepts and how each is validated; [`tokens`]: the
//!   pool's own OpenID token issuer `{PUBLIC_URL}/identity` (its discovery and keys are served
//!   by the `oauth` surface).
//! - `documents`: how a pool's settings and roles are stored (Cognito's documents).
//! - [`error`]: the exceptions, mapped to the JSON protocol by `crate::api`.

pub mod credentials;
pub mod developer;
mod documents;
pub mod error;
pub mod identities;
pub mod logins;
pub mod pools;
pub mod roles;
pub mod tokens;
