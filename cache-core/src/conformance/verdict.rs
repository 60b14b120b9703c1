//! Small judgements shared by the cases: unwrapping a store's answer with context, and recognising
//! the typed rejections.

use crate::{InputError, StoreError};

/// The value of `result`, or a panic naming the operation that failed.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T, StoreError>, operation: &str) -> T {
    result.unwrap_or_else(|err| panic!("{operation} failed: {err}"))
}

/// Panics unless `result` is the [`InputError`] `expected`.
#[track_caller]
pub(crate) fn rejected<T: std::fmt::Debug>(
    result: Result<T, StoreError>,
    expected: &InputError,
    operation: &str,
) {
    match result {
        Err(StoreError::InvalidInput(found)) if &found == expected => {}
        other => panic!("{operation}: expected InvalidInput({expected:?}), got {other:?}"),
    }
}

/// Panics unless `result` is [`StoreError::CapacityExceeded`].
#[track_caller]
pub(crate) fn full<T: std::fmt::Debug>(result: Result<T, StoreError>, operation: &str) {
    match result {
        Err(StoreError::CapacityExceeded { .. }) => {}
        other => panic!("{operation}: expected CapacityExceeded, got {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_unwraps_a_success() {
        assert_eq!(ok(Ok::<_, StoreError>(7), "get"), 7);
    }

    #[test]
    #[should_panic(expected = "set failed: store backend `redis` is unavailable")]
    fn ok_names_the_failed_operation() {
        ok::<()>(Err(StoreError::unavailable("redis", "down")), "set");
    }

    #[test]
    fn rejected_accepts_only_the_expected_input_error() {
        let too_long = InputError::KeyTooLarge { size: 9, limit: 8 };
        rejected::<()>(Err(too_long.clone().into()), &too_long, "set");
        let other = InputError::KeyTooLarge { size: 10, limit: 8 };
        let mismatch =
            std::panic::catch_unwind(|| rejected::<()>(Err(other.into()), &too_long, "set"));
        assert!(mismatch.is_err(), "a different size must not pass");
        let accepted = std::panic::catch_unwind(|| rejected(Ok(()), &too_long, "set"));
        assert!(accepted.is_err(), "an accepted write must not pass");
    }

    #[test]
    fn full_accepts_only_capacity_exceeded() {
        full::<()>(Err(StoreError::CapacityExceeded { capacity: 3 }), "set");
        let wrong = std::panic::catch_unwind(|| full::<()>(Err(InputError::ZeroTtl.into()), "set"));
        assert!(wrong.is_err());
    }
}
