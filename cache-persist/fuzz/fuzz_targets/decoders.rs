//! Untrusted bytes through the segment and snapshot decoders: any input must decode or be
//! rejected with an error, never panic, loop or allocate without bound.
//!
//! Run with `cargo fuzz run -s none decoders` from `cache-persist/` (stable Rust, no sanitizer);
//! `tests/fuzz_corpus.rs` replays the checked-in corpus in every test run.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cache_persist::format::verify_segment(data);
    let _ = cache_persist::format::verify_snapshot(data);
});
