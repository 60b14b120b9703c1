//! The semantics of each primitive, one behaviour per case.

use bytes::Bytes;

use super::super::Backend;
use super::super::keys::Keys;

/// A missing key reads as `None`, including a key that is a prefix of a stored one.
pub async fn get_of_missing_key_is_none(backend: &Backend) {
    let (store, keys) = (backend.checked(), Keys::new("get_of_missing_key_is_none"));
    assert_eq!(store.get(&keys.key("never-set")).await, None);
    store.set(&keys.key("ab"), "v", None).await;
    let prefix = store.get(&keys.key("a")).await;
    assert_eq!(prefix, None, "a prefix of a key is another key");
}

/// `set` stores a value, a second `set` replaces it, and other keys are untouched.
pub async fn set_replaces_the_value(backend: &Backend) {
    let (store, keys) = (backend.checked(), Keys::new("set_replaces_the_value"));
    let (key, other) = (keys.key("k"), keys.key("other"));
    store.set(&key, "first", None).await;
    store.set(&other, "other", None).await;
    assert_eq!(store.get(&key).await, Some(Bytes::from("first")));
    store.set(&key, "second", None).await;
    assert_eq!(store.get(&key).await, Some(Bytes::from("second")));
    assert_eq!(store.get(&other).await, Some(Bytes::from("other")));
}

/// `delete` answers whether a live record was removed, and removes it.
pub async fn delete_reports_whether_it_removed(backend: &Backend) {
    let (store, keys) = (
        backend.checked(),
        Keys::new("delete_reports_whether_it_removed"),
    );
    let key = keys.key("k");
    assert!(!store.delete(&key).await, "delete of a missing key");
    store.set(&key, "v", None).await;
    assert!(store.delete(&key).await, "delete of a live record");
    assert_eq!(store.get(&key).await, None, "read after delete");
    assert!(!store.delete(&key).await, "second delete");
}

/// `insert_if_absent` inserts when absent and otherwise returns the existing value, unchanged.
pub async fn insert_if_absent_returns_the_existing_value(backend: &Backend) {
    let store = backend.checked();
    let key = Keys::new("insert_if_absent_returns_the_existing_value").key("k");
    let first = Bytes::from("first");
    let inserted = store.insert_if_absent(&key, first.clone(), None).await;
    assert_eq!(inserted, None, "the first insert finds no record");
    let second = store.insert_if_absent(&key, "second", None).await;
    assert_eq!(
        second,
        Some(first.clone()),
        "the second insert returns the first value"
    );
    assert_eq!(
        store.get(&key).await,
        Some(first),
        "the losing insert wrote nothing"
    );
}

/// `compare_and_set` swaps only a live value equal to the expected one, byte for byte.
pub async fn compare_and_set_swaps_only_on_match(backend: &Backend) {
    let (store, keys) = (
        backend.checked(),
        Keys::new("compare_and_set_swaps_only_on_match"),
    );
    let (key, missing) = (keys.key("k"), keys.key("missing"));
    assert!(
        !store.compare_and_set(&missing, b"", "new", None).await,
        "cas of a missing key"
    );
    assert_eq!(
        store.get(&missing).await,
        None,
        "a failed cas creates nothing"
    );

    store.set(&key, "abc", None).await;
    for expected in [&b"ab"[..], b"abcd", b"abd", b""] {
        let swapped = store.compare_and_set(&key, expected, "new", None).await;
        assert!(
            !swapped,
            "cas expecting {expected:?} must not match b\"abc\""
        );
    }
    assert_eq!(store.get(&key).await, Some(Bytes::from("abc")));
    assert!(
        store.compare_and_set(&key, b"abc", "new", None).await,
        "matching cas"
    );
    assert_eq!(store.get(&key).await, Some(Bytes::from("new")));
    assert!(
        !store.compare_and_set(&key, b"abc", "new", None).await,
        "stale cas"
    );
}

/// `compare_and_delete` removes only a live value equal to the expected one.
pub async fn compare_and_delete_removes_only_on_match(backend: &Backend) {
    let store = backend.checked();
    let key = Keys::new("compare_and_delete_removes_only_on_match").key("k");
    assert!(
        !store.compare_and_delete(&key, b"v").await,
        "cad of a missing key"
    );
    store.set(&key, "v1", None).await;
    assert!(
        !store.compare_and_delete(&key, b"v").await,
        "cad of a prefix"
    );
    assert!(
        !store.compare_and_delete(&key, b"v10").await,
        "cad of a longer value"
    );
    assert_eq!(store.get(&key).await, Some(Bytes::from("v1")));
    assert!(store.compare_and_delete(&key, b"v1").await, "matching cad");
    assert_eq!(store.get(&key).await, None);
    assert!(!store.compare_and_delete(&key, b"v1").await, "second cad");
}

/// An empty value is a value: present, comparable and distinct from a missing record.
pub async fn empty_value_is_not_absence(backend: &Backend) {
    let (store, keys) = (backend.checked(), Keys::new("empty_value_is_not_absence"));
    let (key, other) = (keys.key("k"), keys.key("other"));
    store.set(&key, Bytes::new(), None).await;
    assert_eq!(store.get(&key).await, Some(Bytes::new()));
    assert_eq!(
        store.insert_if_absent(&key, "x", None).await,
        Some(Bytes::new())
    );
    assert!(
        store.compare_and_set(&key, b"", "x", None).await,
        "cas from an empty value"
    );
    assert_eq!(
        store.insert_if_absent(&other, Bytes::new(), None).await,
        None
    );
    assert!(
        store.compare_and_delete(&other, b"").await,
        "cad of an empty value"
    );
}

/// The empty key is a key like any other.
///
/// It is the one key of the suite outside the per-case namespace; its value is unique to the
/// run, so concurrent runs on one server cannot pass by reading each other's record.
pub async fn empty_key_works(backend: &Backend) {
    let store = backend.checked();
    let (key, unique) = (Bytes::new(), Keys::new("empty_key_works").key("value"));
    store.set(&key, unique.clone(), None).await;
    assert_eq!(store.get(&key).await, Some(unique.clone()));
    assert_eq!(
        store.insert_if_absent(&key, "x", None).await,
        Some(unique.clone())
    );
    let swapped = Bytes::from(format!("{unique:?}-swapped"));
    assert!(
        store
            .compare_and_set(&key, &unique, swapped.clone(), None)
            .await,
        "cas"
    );
    assert!(store.compare_and_delete(&key, &swapped).await, "cad");
    assert_eq!(store.get(&key).await, None);
}
