//! Expiry: an expired record is never returned and never blocks a write.
//!
//! Times are multiples of the backend's [`TimeControl::ttl_unit`](super::super::TimeControl):
//! a record meant to expire gets one unit and the case waits two. A record that must still be live
//! at the next operation gets at least [`LEASE`] units, so that a slow machine under real time
//! does not fail a case by stalling between two operations.

use std::time::Duration;

use bytes::Bytes;

use super::super::Backend;
use super::super::checked::Checked;
use super::super::keys::Keys;
use super::super::verdict::rejected;
use crate::InputError;

/// The TTL, in units, of a record that must still be live at the case's next operation; the case
/// then waits one unit more to see what became of it.
const LEASE: u32 = 8;

/// An expired record reads as `None`, while records with a longer TTL or none stay readable.
pub async fn expired_record_is_never_returned(backend: &Backend) {
    let (store, keys, unit) = setup(backend, "expired_record_is_never_returned");
    let (short, long, forever) = (keys.key("short"), keys.key("long"), keys.key("forever"));
    store.set(&short, "v", Some(unit)).await;
    store.set(&long, "v", Some(unit * 20)).await;
    store.set(&forever, "v", None).await;
    backend.time().advance(unit * 2).await;
    assert_eq!(store.get(&short).await, None, "read after its TTL");
    assert_eq!(
        store.get(&long).await,
        Some(Bytes::from("v")),
        "read before its TTL"
    );
    assert_eq!(
        store.get(&forever).await,
        Some(Bytes::from("v")),
        "read of a record without TTL"
    );
}

/// An expired record is absent to every primitive: delete and the compare primitives find
/// nothing, and `insert_if_absent` claims the key afresh.
pub async fn expired_record_counts_as_absent(backend: &Backend) {
    let (store, keys, unit) = setup(backend, "expired_record_counts_as_absent");
    let [deleted, swapped, compared, claimed] =
        ["delete", "cas", "cad", "iia"].map(|k| keys.key(k));
    for key in [&deleted, &swapped, &compared, &claimed] {
        store.set(key, "old", Some(unit)).await;
    }
    backend.time().advance(unit * 2).await;
    assert!(
        !store.delete(&deleted).await,
        "delete removed an expired record"
    );
    assert!(
        !store.compare_and_set(&swapped, b"old", "new", None).await,
        "cas of an expired record"
    );
    assert_eq!(
        store.get(&swapped).await,
        None,
        "cas resurrected an expired record"
    );
    assert!(
        !store.compare_and_delete(&compared, b"old").await,
        "cad of an expired record"
    );
    let inserted = store.insert_if_absent(&claimed, "new", None).await;
    assert_eq!(inserted, None, "an expired record blocked the insert");
    assert_eq!(store.get(&claimed).await, Some(Bytes::from("new")));
}

/// `set` replaces the TTL along with the value: a TTL is dropped by a `set` without one, and a
/// `set` with one makes a record expire.
pub async fn set_replaces_the_ttl(backend: &Backend) {
    let (store, keys, unit) = setup(backend, "set_replaces_the_ttl");
    let (made_permanent, made_expiring) = (keys.key("permanent"), keys.key("expiring"));
    store.set(&made_permanent, "1", Some(unit)).await;
    store.set(&made_permanent, "2", None).await;
    store.set(&made_expiring, "1", None).await;
    store.set(&made_expiring, "2", Some(unit)).await;
    backend.time().advance(unit * 2).await;
    let kept = store.get(&made_permanent).await;
    assert_eq!(
        kept,
        Some(Bytes::from("2")),
        "a set without TTL kept the old TTL"
    );
    let gone = store.get(&made_expiring).await;
    assert_eq!(
        gone, None,
        "a set with a TTL did not make the record expire"
    );
}

/// A successful `compare_and_set` replaces the TTL too; a failed one leaves it alone.
pub async fn compare_and_set_replaces_the_ttl(backend: &Backend) {
    let (store, keys, unit) = setup(backend, "compare_and_set_replaces_the_ttl");
    let (expiring, permanent, untouched) = (keys.key("exp"), keys.key("perm"), keys.key("same"));
    store.set(&expiring, "old", None).await;
    assert!(
        store
            .compare_and_set(&expiring, b"old", "new", Some(unit))
            .await,
        "cas"
    );
    store.set(&permanent, "old", Some(unit * LEASE)).await;
    assert!(
        store.compare_and_set(&permanent, b"old", "new", None).await,
        "cas"
    );
    store.set(&untouched, "old", Some(unit * LEASE)).await;
    assert!(
        !store.compare_and_set(&untouched, b"x", "new", None).await,
        "mismatched cas"
    );
    backend.time().advance(unit * (LEASE + 1)).await;
    assert_eq!(store.get(&expiring).await, None, "cas did not set the TTL");
    let kept = store.get(&permanent).await;
    assert_eq!(kept, Some(Bytes::from("new")), "cas did not clear the TTL");
    assert_eq!(
        store.get(&untouched).await,
        None,
        "a failed cas changed the TTL"
    );
}

/// `insert_if_absent` on a live record changes neither its value nor its TTL.
pub async fn insert_if_absent_keeps_the_existing_ttl(backend: &Backend) {
    let (store, keys, unit) = setup(backend, "insert_if_absent_keeps_the_existing_ttl");
    let key = keys.key("k");
    store.set(&key, "held", Some(unit * LEASE)).await;
    let existing = store.insert_if_absent(&key, "x", None).await;
    assert_eq!(existing, Some(Bytes::from("held")));
    backend.time().advance(unit * (LEASE + 1)).await;
    assert_eq!(
        store.get(&key).await,
        None,
        "a losing insert extended the TTL"
    );
}

/// A TTL of zero is rejected by every write that takes one, and nothing is written.
pub async fn zero_ttl_is_rejected(backend: &Backend) {
    let (store, keys, _) = setup(backend, "zero_ttl_is_rejected");
    let (raw, zero) = (backend.store(), Some(Duration::ZERO));
    let (key, held, value) = (keys.key("k"), keys.key("held"), Bytes::from("v"));
    rejected(
        raw.set(&key, value.clone(), zero).await,
        &InputError::ZeroTtl,
        "set",
    );
    let inserted = raw.insert_if_absent(&key, value.clone(), zero).await;
    rejected(inserted, &InputError::ZeroTtl, "insert_if_absent");
    assert_eq!(store.get(&key).await, None, "a rejected write wrote");
    store.set(&held, value.clone(), None).await;
    let swapped = raw
        .compare_and_set(&held, &value, Bytes::from("w"), zero)
        .await;
    rejected(swapped, &InputError::ZeroTtl, "compare_and_set");
    assert_eq!(store.get(&held).await, Some(value), "a rejected cas wrote");
}

/// TTLs at the extremes are accepted: a nanosecond one expires, `Duration::MAX` never does
/// (backends with coarser units round the first up and saturate the second).
pub async fn extreme_ttls_are_accepted(backend: &Backend) {
    let (store, keys, unit) = setup(backend, "extreme_ttls_are_accepted");
    let (tiny, huge) = (Some(Duration::from_nanos(1)), Some(Duration::MAX));
    let [brief, lasting, claimed, swapped] =
        ["brief", "lasting", "claimed", "swapped"].map(|k| keys.key(k));
    store.set(&brief, "v", tiny).await;
    store.set(&lasting, "v", huge).await;
    assert_eq!(store.insert_if_absent(&claimed, "v", huge).await, None);
    store.set(&swapped, "v", None).await;
    assert!(
        store.compare_and_set(&swapped, b"v", "v", huge).await,
        "cas with Duration::MAX"
    );
    backend.time().advance(unit * 2).await;
    assert_eq!(
        store.get(&brief).await,
        None,
        "a 1 ns TTL outlived two units"
    );
    for key in [&lasting, &claimed, &swapped] {
        assert_eq!(
            store.get(key).await,
            Some(Bytes::from("v")),
            "Duration::MAX expired"
        );
    }
}

fn setup<'a>(backend: &'a Backend, case: &str) -> (Checked<'a>, Keys, Duration) {
    (
        backend.checked(),
        Keys::new(case),
        backend.time().ttl_unit(),
    )
}
