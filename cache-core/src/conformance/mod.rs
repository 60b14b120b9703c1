//! The conformance suite every [`Store`](crate::Store) backend passes (feature `test-support`).
//!
//! A backend crate runs the whole suite with [`store_conformance!`](crate::store_conformance),
//! which expands to one `#[test]` per case, named after it, so a failure names the behaviour that
//! broke. Each case is also a public async function taking a [`Backend`], for a crate that wants
//! to run some cases by hand.
//!
//! A [`Backend`] bundles the store with how time passes for it ([`TimeControl`]: the
//! [`MockClock`](crate::MockClock) it was built with, or [`RealTime`] with short real TTLs) and the
//! limits it states about itself. Every case uses keys under its own random prefix and never
//! clears the store, so cases may run in parallel against one shared server.
//!
//! The cases:
//! - each primitive: [`get_of_missing_key_is_none`], [`set_replaces_the_value`],
//!   [`delete_reports_whether_it_removed`], [`insert_if_absent_returns_the_existing_value`],
//!   [`compare_and_set_swaps_only_on_match`], [`compare_and_delete_removes_only_on_match`],
//!   [`empty_value_is_not_absence`], [`empty_key_works`];
//! - expiry: [`expired_record_is_never_returned`], [`expired_record_counts_as_absent`],
//!   [`set_replaces_the_ttl`], [`compare_and_set_replaces_the_ttl`],
//!   [`insert_if_absent_keeps_the_existing_ttl`], [`zero_ttl_is_rejected`],
//!   [`extreme_ttls_are_accepted`];
//! - sizes: [`large_value_round_trips`], [`oversized_key_is_rejected`],
//!   [`oversized_value_is_rejected`];
//! - no eviction: [`full_store_refuses_new_records`], [`expired_records_make_room`];
//! - atomicity, two OS threads racing [`CONTENDED_ROUNDS`] rounds:
//!   [`insert_if_absent_has_one_winner`], [`compare_and_set_has_one_winner`],
//!   [`compare_and_delete_has_one_winner`], [`compare_and_set_loses_no_update`],
//!   [`set_is_never_lost_to_a_racing_compare_and_set`].

mod backend;
mod cases;
mod checked;
mod guarded;
mod keys;
mod race;
#[cfg(test)]
mod reference;
mod time;
mod verdict;

use std::future::Future;
use std::time::Duration;

pub use backend::Backend;
pub use cases::*;
pub use guarded::Guarded;
pub use time::{RealTime, TimeControl};

/// How long one case may run before it counts as hung.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs a case on a fresh multi-threaded tokio runtime (two workers, I/O and timers enabled),
/// failing it if it runs longer than [`CASE_TIMEOUT`].
///
/// # Panics
///
/// When the case panics, or runs longer than [`CASE_TIMEOUT`].
pub fn block_on<F: Future>(case: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("failed to build a tokio runtime for a conformance case");
    let outcome = runtime.block_on(async { tokio::time::timeout(CASE_TIMEOUT, case).await });
    // A hung case may hold blocking threads; do not wait for them past a second.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome.unwrap_or_else(|_| panic!("the case did not finish within {CASE_TIMEOUT:?}"))
}

/// Expands to one `#[test]` per conformance case, run against the [`Backend`] that the given
/// future yields (a fresh one per case).
///
/// `store_conformance!(backend)` runs every case on `backend`. With
/// `store_conformance!(backend, capacity: bounded)`, the two capacity cases
/// ([`full_store_refuses_new_records`], [`expired_records_make_room`]) run on `bounded` instead, a
/// store with a small stated [`Backend::max_capacity`], and the others on `backend`, which should
/// have room for the 10,000 keys of each atomicity case.
///
/// Put it in a test file, or a module of one, of the backend's crate; the crate needs
/// `cache-core` with the `test-support` feature among its dev-dependencies, and nothing else.
///
#[cfg_attr(feature = "moka", doc = "```")]
#[cfg_attr(not(feature = "moka"), doc = "```ignore")]
/// use std::time::Duration;
/// use cache_core::MokaStore;
/// use cache_core::conformance::{self, Backend, RealTime};
///
/// async fn moka_backend() -> Backend {
///     let store = MokaStore::builder().max_key_size(256).max_value_size(2 << 20).build();
///     Backend::new(store, RealTime::new(Duration::from_millis(50)))
///         .max_key_size(256)
///         .max_value_size(2 << 20)
/// }
///
/// async fn bounded_moka_backend() -> Backend {
///     let store = MokaStore::builder().max_capacity(100).build();
///     Backend::new(store, RealTime::new(Duration::from_secs(1))).max_capacity(100)
/// }
///
/// // In a test file: one test per case, `moka_conformance::empty_key_works` and so on.
/// mod moka_conformance {
///     cache_core::store_conformance!(super::moka_backend(), capacity: super::bounded_moka_backend());
/// }
///
/// // Or a single case, by hand:
/// conformance::block_on(async {
///     conformance::compare_and_set_swaps_only_on_match(&moka_backend().await).await;
/// });
/// ```
#[macro_export]
macro_rules! store_conformance {
    ($backend:expr $(,)?) => {
        $crate::store_conformance!($backend, capacity: $backend);
    };
    ($backend:expr, capacity: $bounded:expr $(,)?) => {
        $crate::store_conformance!(@cases $backend;
            get_of_missing_key_is_none,
            set_replaces_the_value,
            delete_reports_whether_it_removed,
            insert_if_absent_returns_the_existing_value,
            compare_and_set_swaps_only_on_match,
            compare_and_delete_removes_only_on_match,
            empty_value_is_not_absence,
            empty_key_works,
            expired_record_is_never_returned,
            expired_record_counts_as_absent,
            set_replaces_the_ttl,
            compare_and_set_replaces_the_ttl,
            insert_if_absent_keeps_the_existing_ttl,
            zero_ttl_is_rejected,
            extreme_ttls_are_accepted,
            large_value_round_trips,
            oversized_key_is_rejected,
            oversized_value_is_rejected,
            insert_if_absent_has_one_winner,
            compare_and_set_has_one_winner,
            compare_and_delete_has_one_winner,
            compare_and_set_loses_no_update,
            set_is_never_lost_to_a_racing_compare_and_set,
        );
        $crate::store_conformance!(@cases $bounded;
            full_store_refuses_new_records,
            expired_records_make_room,
        );
    };
    (@cases $backend:expr; $($case:ident,)+) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::block_on(async {
                    let backend: $crate::conformance::Backend = $backend.await;
                    $crate::conformance::$case(&backend).await;
                });
            }
        )+
    };
}
