//! Replays the fuzz corpus (`fuzz/corpus/decoders`) through the segment and snapshot decoders:
//! no input may panic, and the files named `*-valid*` must decode.

use std::fs;
use std::path::Path;

use cache_persist::format::{verify_segment, verify_snapshot};

#[test]
fn the_corpus_decodes_or_is_rejected_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decoders");
    let mut replayed = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = fs::read(&path).unwrap();
        let segment = verify_segment(&bytes);
        let snapshot = verify_snapshot(&bytes);
        if name.starts_with("segment-valid") {
            let summary = segment.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(summary.torn_tail_at, None, "{name}");
        }
        if name.starts_with("snapshot-valid") {
            snapshot.clone().unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        if name.starts_with("segment-torn") {
            assert!(segment.clone().unwrap().torn_tail_at.is_some(), "{name}");
        }
        if name.starts_with("snapshot-") && !name.starts_with("snapshot-valid") {
            assert!(snapshot.is_err(), "{name} accepted");
        }
        replayed += 1;
    }
    assert!(
        replayed >= 8,
        "only {replayed} corpus files in {}",
        dir.display()
    );
}
