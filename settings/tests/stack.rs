//! The whole stack's document: every crate's section, profiles, and an application's own
//! sections beside them.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use settings::{Configuration, Loader, Profile, Source, StackConfig, WithStack};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct Server {
    port: u16,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct Demo {
    server: Server,
}

impl Configuration for Demo {}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_profile_loads_and_validates() {
    for profile in Profile::ALL {
        let loaded = Loader::with_env(env(&[]))
            .profile(profile)
            .load::<StackConfig>();
        let loaded = loaded.unwrap_or_else(|err| panic!("profile {profile}: {err}"));
        let rendered = loaded.render();
        assert!(rendered.contains("[idempotency]"), "{rendered}");
    }
    let prod = Loader::with_env(env(&[]))
        .profile(Profile::Prod)
        .load::<StackConfig>()
        .unwrap();
    assert!(prod.config().idempotency.require_key);
    assert_eq!(
        prod.source_of("persist.recovery"),
        Source::Profile(Profile::Prod)
    );
}

#[test]
fn the_application_and_the_stack_share_one_document() {
    let vars = env(&[
        ("RESYNC_IDEMPOTENCY__LEASE", "90s"),
        ("RESYNC_SERVER__PORT", "8080"),
    ]);
    let loaded = Loader::with_env(vars).load::<WithStack<Demo>>().unwrap();
    assert_eq!(
        loaded.config().stack.idempotency.lease,
        Duration::from_secs(90)
    );
    assert_eq!(loaded.config().app.server.port, 8080);
}

#[test]
fn errors_inside_the_stack_and_the_application_keep_their_paths() {
    let vars = env(&[
        ("RESYNC_SERVER__PORT", "abc"),
        ("RESYNC_IDEMPOTENCY__LEASE", "soon"),
        ("RESYNC_CIRCUIT_BREAKER__FAILURE_RATE_THRESHOLD", "150"),
    ]);
    let err = Loader::with_env(vars)
        .load::<WithStack<Demo>>()
        .unwrap_err();
    let text = err.to_string();
    for expected in [
        "RESYNC_SERVER__PORT: `server.port`",
        "RESYNC_IDEMPOTENCY__LEASE: `idempotency.lease`",
        "RESYNC_CIRCUIT_BREAKER__FAILURE_RATE_THRESHOLD: `circuit_breaker.failure_rate_threshold`",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[test]
fn a_misspelled_section_in_a_file_is_named_with_its_line() {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(b"[server]\nport = 1\n\n[idempotncy]\nlease = \"1m\"\n")
        .unwrap();
    let err = Loader::with_env(env(&[]))
        .file(file.path())
        .load::<WithStack<Demo>>()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("idempotncy"), "{text}");
    assert!(
        text.contains(&format!("{}:4", file.path().display())),
        "{text}"
    );
}

#[test]
fn secrets_never_print() {
    let vars = env(&[
        ("RESYNC_REDIS__PASSWORD", "hunter2"),
        ("RESYNC_INCIDENTS__SINK__KIND", "pagerduty"),
        (
            "RESYNC_INCIDENTS__SINK__ROUTING_KEY",
            "R0UT1NGK3Y0123456789012345678901",
        ),
    ]);
    let loaded = Loader::with_env(vars).load::<StackConfig>();
    let shown = match &loaded {
        Ok(loaded) => format!("{}\n{:?}", loaded.render(), loaded.config()),
        Err(err) => format!("{err}\n{err:?}"),
    };
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("R0UT1NGK3Y"), "{shown}");
}
