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
//! - [`simulation`]: the credential simulator — would a login get credentials, and why (not) —
//!   answered without creating identities or vending anything.
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
pub mod simulation;
pub mod tokens;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::federation::Upstream;
use crate::iam::Iam;
use crate::services::Infra;
use crate::store::Store;
use crate::tokens::Tokens;
use crate::userpool::directory::Directory;
use std::sync::Arc;

/// The identity-pool context: the store, clock and master key, the configuration that names
/// issuers and ARNs and the upstream providers checked, the user-pool directory and tokens
/// (user-pool logins), outbound calls (Google, Facebook, OIDC logins) and IAM (credentials).
pub struct IdentityPools {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    config: Arc<Config>,
    directory: Arc<Directory>,
    tokens: Arc<Tokens>,
    upstream: Arc<Upstream>,
    iam: Arc<Iam>,
}

impl IdentityPools {
    pub fn new(infra: &Infra) -> Self {
        IdentityPools {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            config: infra.config.clone(),
            directory: infra.directory.clone(),
            tokens: infra.tokens.clone(),
            upstream: infra.upstream.clone(),
            iam: infra.iam.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}
