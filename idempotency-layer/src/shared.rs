//! What every clone of the service shares: the store, the settings, the hooks and the budget.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cache_core::Store;
use http::Method;
use http::request::Parts;

use crate::budget::Budget;
use crate::hooks::{PrincipalHook, ReplaySanitizer, RequestPredicate};
use crate::local::LocalCache;
use crate::outcome::OutcomeCounters;
use crate::settings::Settings;

/// The state behind an [`IdempotencyLayer`](crate::IdempotencyLayer) and its services.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) settings: Settings,
    pub(crate) principal: Box<dyn PrincipalHook>,
    pub(crate) predicate: Box<dyn RequestPredicate>,
    pub(crate) sanitizer: Box<dyn ReplaySanitizer>,
    pub(crate) budget: Arc<Budget>,
    pub(crate) local: Option<LocalCache>,
    pub(crate) outcomes: OutcomeCounters,
    tokens: Tokens,
}

impl Shared {
    pub(crate) fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        principal: Box<dyn PrincipalHook>,
        predicate: Box<dyn RequestPredicate>,
        sanitizer: Box<dyn ReplaySanitizer>,
        local: Option<LocalCache>,
    ) -> Self {
        Self {
            budget: Budget::new(settings.body_budget),
            store,
            settings,
            principal,
            predicate,
            sanitizer,
            local,
            outcomes: OutcomeCounters::default(),
            tokens: Tokens::new(),
        }
    }

    /// False when a request with this method never gets idempotency semantics.
    pub(crate) fn covers_method(&self, method: &Method) -> bool {
        self.settings.methods.contains(method)
    }

    /// True when a request whose method is covered gets idempotency semantics.
    pub(crate) fn covers(&self, parts: &Parts) -> bool {
        self.predicate.applies(parts)
    }

    /// A fencing token no other claim of this or any other replica carries.
    pub(crate) fn next_token(&self) -> [u8; 16] {
        self.tokens.next()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("store", &self.store)
            .field("settings", &self.settings)
            .field("budget", &self.budget)
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

/// Fencing tokens: a random 64-bit seed per layer (from the OS-seeded `RandomState`) and a
/// counter, so tokens are unique within a process and collide across replicas only by chance.
#[derive(Debug)]
struct Tokens {
    seed: u64,
    counter: AtomicU64,
}

impl Tokens {
    fn new() -> Self {
        Self {
            seed: RandomState::new().hash_one(std::process::id()),
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> [u8; 16] {
        let count = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut token = [0; 16];
        token[..8].copy_from_slice(&self.seed.to_le_bytes());
        token[8..].copy_from_slice(&count.to_le_bytes());
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_seeds_differ_between_layers() {
        let tokens = Tokens::new();
        assert_ne!(tokens.next(), tokens.next());
        assert_ne!(Tokens::new().seed, Tokens::new().seed);
    }
}
