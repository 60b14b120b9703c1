//! A store whose answers the cases expect to be successes: each method unwraps its result and
//! panics naming the operation otherwise, so a case reads as the behaviour it checks.

use std::time::Duration;

use bytes::Bytes;

use super::verdict::ok;
use crate::Store;

/// The [`Store`] under test, its errors turned into panics.
#[derive(Clone, Copy)]
pub(crate) struct Checked<'a>(pub(crate) &'a dyn Store);

impl Checked<'_> {
    pub(crate) async fn get(&self, key: &Bytes) -> Option<Bytes> {
        ok(self.0.get(key).await, "get")
    }

    pub(crate) async fn set(&self, key: &Bytes, value: impl Into<Bytes>, ttl: Option<Duration>) {
        ok(self.0.set(key, value.into(), ttl).await, "set");
    }

    pub(crate) async fn delete(&self, key: &Bytes) -> bool {
        ok(self.0.delete(key).await, "delete")
    }

    pub(crate) async fn insert_if_absent(
        &self,
        key: &Bytes,
        value: impl Into<Bytes>,
        ttl: Option<Duration>,
    ) -> Option<Bytes> {
        let inserted = self.0.insert_if_absent(key, value.into(), ttl).await;
        ok(inserted, "insert_if_absent")
    }

    pub(crate) async fn compare_and_set(
        &self,
        key: &Bytes,
        expected: impl AsRef<[u8]>,
        new: impl Into<Bytes>,
        ttl: Option<Duration>,
    ) -> bool {
        let swapped = self
            .0
            .compare_and_set(key, expected.as_ref(), new.into(), ttl)
            .await;
        ok(swapped, "compare_and_set")
    }

    pub(crate) async fn compare_and_delete(&self, key: &Bytes, expected: impl AsRef<[u8]>) -> bool {
        ok(
            self.0.compare_and_delete(key, expected.as_ref()).await,
            "compare_and_delete",
        )
    }
}
