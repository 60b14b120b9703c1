//! The storage vocabulary of resync-rs: the [`Store`] trait every backend implements, and a
//! sharded, concurrent in-process cache.

mod clock;
mod error;
mod store;

pub use clock::{Clock, MockClock, SystemClock, duration_nanos};
pub use error::{InputError, StoreError};
pub use store::{Store, StoreFuture};
