//! The cases of the suite, one behaviour each.

mod atomicity;
mod capacity;
mod limits;
mod primitives;
mod ttl;

pub use atomicity::{
    CONTENDED_ROUNDS, compare_and_delete_has_one_winner, compare_and_set_has_one_winner,
    compare_and_set_loses_no_update, insert_if_absent_has_one_winner,
    set_is_never_lost_to_a_racing_compare_and_set,
};
pub use capacity::{expired_records_make_room, full_store_refuses_new_records};
pub use limits::{large_value_round_trips, oversized_key_is_rejected, oversized_value_is_rejected};
pub use primitives::{
    compare_and_delete_removes_only_on_match, compare_and_set_swaps_only_on_match,
    delete_reports_whether_it_removed, empty_key_works, empty_value_is_not_absence,
    get_of_missing_key_is_none, insert_if_absent_returns_the_existing_value,
    set_replaces_the_value,
};
pub use ttl::{
    compare_and_set_replaces_the_ttl, expired_record_counts_as_absent,
    expired_record_is_never_returned, extreme_ttls_are_accepted,
    insert_if_absent_keeps_the_existing_ttl, set_replaces_the_ttl, zero_ttl_is_rejected,
};
