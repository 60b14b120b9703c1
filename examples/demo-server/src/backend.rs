//! The store behind the idempotency layer: in memory, durable on local disk, or Redis.

use std::sync::Arc;

use anyhow::Context;
use bytes::Bytes;
use cache_core::Store;
use cache_persist::DurableStore;
use cache_redis::RedisStore;
use settings::StackConfig;

use crate::config::StoreKind;

/// The opened store, with what readiness and shutdown need to know of it.
#[derive(Debug)]
pub struct Backend {
    store: Arc<dyn Store>,
    durable: Option<Arc<DurableStore>>,
}

/// The key readiness reads to learn whether the store answers.
const PROBE_KEY: &[u8] = b"demo-server:readiness-probe";

impl Backend {
    /// Opens the store `kind` names, configured by the stack's sections.
    pub async fn open(kind: StoreKind, stack: &StackConfig) -> anyhow::Result<Self> {
        match kind {
            StoreKind::Memory => {
                let store = stack.cache.build_store().context("the [cache] section")?;
                Ok(Self {
                    store: Arc::new(store),
                    durable: None,
                })
            }
            StoreKind::Durable => {
                let dir = stack.persist.dir.display().to_string();
                let store = DurableStore::open(stack.persist.clone())
                    .with_context(|| format!("opening the durable store in {dir}"))?;
                let store = Arc::new(store);
                Ok(Self {
                    store: store.clone(),
                    durable: Some(store),
                })
            }
            StoreKind::Redis => {
                let store = RedisStore::connect(&stack.redis)
                    .await
                    .context("connecting to Redis")?;
                Ok(Self {
                    store: Arc::new(store),
                    durable: None,
                })
            }
        }
    }

    /// The store, for the idempotency layer.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }

    /// Why the store cannot take writes now, or `None` when it can.
    pub async fn unready_reason(&self) -> Option<String> {
        if let Some(reason) = self.durable.as_ref().and_then(|d| d.read_only_reason()) {
            return Some(format!("the store is read-only: {reason}"));
        }
        let probe = Bytes::from_static(PROBE_KEY);
        match self.store.get(&probe).await {
            Ok(_) => None,
            Err(err) => Some(format!("the store does not answer: {err}")),
        }
    }

    /// Makes everything acknowledged durable in a snapshot, so the next start recovers fast.
    pub fn flush(&self) -> anyhow::Result<()> {
        if let Some(durable) = &self.durable {
            durable
                .snapshot()
                .context("writing the shutdown snapshot")?;
        }
        Ok(())
    }
}
