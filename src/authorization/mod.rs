//! The OAuth 2.0 rules, once each, for every surface that needs them: the authorization
//! request (validated and completed, [`request`]), scope narrowing ([`scopes`]), and the token
//! endpoint's grants with client authentication, code redemption (PKCE, redirect URI, atomic
//! consumption, replay revocation) and client credentials ([`grants`]), token revocation
//! ([`revocation`]) and introspection ([`introspection`]), and redirect URIs that can only be
//! registered ones ([`redirect`]). No HTTP here: the `oauth` endpoints and the hosted pages
//! parse requests and render what these return.

pub mod grants;
pub mod introspection;
pub mod redirect;
pub mod request;
pub mod revocation;
pub mod scopes;

use crate::clock::Clock;
use crate::events::Events;
use crate::services::Infra;
use crate::store::Store;
use crate::tokens::Tokens;
use crate::userpool::directory::Directory;
use std::sync::Arc;

/// The OAuth 2.0 context: the store (codes, identity providers), the clock, the pool and client
/// directory, the token issuer and the event log (token grants).
pub struct Authorization {
    store: Store,
    clock: Arc<dyn Clock>,
    directory: Arc<Directory>,
    tokens: Arc<Tokens>,
    events: Arc<Events>,
}

impl Authorization {
    pub fn new(infra: &Infra) -> Self {
        Authorization {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            directory: infra.directory.clone(),
            tokens: infra.tokens.clone(),
            events: infra.events.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}
