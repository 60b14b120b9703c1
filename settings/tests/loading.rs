//! Loading through every layer, as an application would.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use settings::{Configuration, Invalid, Loader, Profile, Source};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct Idempotency {
    #[serde(with = "humantime_serde")]
    lease: Duration,
    #[serde(with = "humantime_serde")]
    retention: Duration,
    fail_open: bool,
}

impl Default for Idempotency {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            retention: Duration::from_secs(86_400),
            fail_open: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct Server {
    port: u16,
}

impl Default for Server {
    fn default() -> Self {
        Self { port: 3000 }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct Redis {
    url: String,
    password: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct App {
    server: Server,
    idempotency: Idempotency,
    redis: Redis,
}

impl Configuration for App {
    fn profile_defaults(profile: Profile) -> toml::Table {
        match profile {
            Profile::Prod => toml::from_str("[idempotency]\nfail_open = false").unwrap(),
            Profile::Test => toml::from_str("[idempotency]\nlease = \"1s\"").unwrap(),
            Profile::Dev => toml::Table::new(),
        }
    }

    fn validate(&self) -> Vec<Invalid> {
        let mut invalid = Vec::new();
        if self.idempotency.lease >= self.idempotency.retention {
            invalid.push(Invalid::new(
                "idempotency.lease",
                "must be shorter than the retention",
            ));
        }
        if self.server.port == 0 {
            invalid.push(Invalid::new("server.port", "must not be 0"));
        }
        invalid
    }
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(".toml").tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn one_key_across_the_layers_the_later_wins() {
    let file = config_file("[idempotency]\nlease = \"30s\"\n");
    let defaults = Loader::with_env(env(&[])).load::<App>().unwrap();
    assert_eq!(defaults.config().idempotency.lease, Duration::from_secs(60));
    assert_eq!(defaults.source_of("idempotency.lease"), Source::Default);

    let from_file = Loader::with_env(env(&[]))
        .file(file.path())
        .load::<App>()
        .unwrap();
    assert_eq!(
        from_file.config().idempotency.lease,
        Duration::from_secs(30)
    );
    assert_eq!(
        from_file.source_of("idempotency.lease"),
        Source::File {
            path: file.path().to_owned(),
            line: 2
        }
    );

    let vars = env(&[("RESYNC_IDEMPOTENCY__LEASE", "90s")]);
    let from_env = Loader::with_env(vars)
        .file(file.path())
        .load::<App>()
        .unwrap();
    assert_eq!(from_env.config().idempotency.lease, Duration::from_secs(90));
    assert_eq!(
        from_env.source_of("idempotency.lease"),
        Source::Env {
            var: "RESYNC_IDEMPOTENCY__LEASE".into()
        }
    );
}

#[test]
fn the_file_can_come_from_resync_config() {
    let file = config_file("[server]\nport = 9000\n");
    let vars = env(&[("RESYNC_CONFIG", file.path().to_str().unwrap())]);
    let loaded = Loader::with_env(vars).load::<App>().unwrap();
    assert_eq!(loaded.config().server.port, 9000);
}

#[test]
fn profiles_change_defaults_and_the_flag_wins_over_the_variable() {
    let prod = Loader::with_env(env(&[("RESYNC_PROFILE", "prod")]))
        .load::<App>()
        .unwrap();
    assert_eq!(prod.profile(), Profile::Prod);
    assert!(!prod.config().idempotency.fail_open);
    assert_eq!(
        prod.source_of("idempotency.fail_open"),
        Source::Profile(Profile::Prod)
    );

    let dev = Loader::with_env(env(&[])).load::<App>().unwrap();
    assert!(dev.config().idempotency.fail_open);

    let test = Loader::with_env(env(&[("RESYNC_PROFILE", "prod")]))
        .profile(Profile::Test)
        .load::<App>()
        .unwrap();
    assert_eq!(test.config().idempotency.lease, Duration::from_secs(1));

    let err = Loader::with_env(env(&[("RESYNC_PROFILE", "staging")]))
        .load::<App>()
        .unwrap_err();
    assert!(err.to_string().contains("RESYNC_PROFILE"), "{err}");
    assert!(err.to_string().contains("staging"), "{err}");
}

#[test]
fn a_bad_variable_is_named_with_its_key_path() {
    let err = Loader::with_env(env(&[("RESYNC_SERVER__PORT", "abc")]))
        .load::<App>()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("RESYNC_SERVER__PORT"), "{text}");
    assert!(text.contains("server.port"), "{text}");
    assert!(text.contains("\"abc\""), "{text}");
    assert!(text.contains("u16"), "{text}");
}

#[test]
fn a_bad_file_value_names_the_file_line_and_key() {
    let file = config_file("[server]\nport = 3000\n\n[idempotency]\nlease = \"forever\"\n");
    let err = Loader::with_env(env(&[]))
        .file(file.path())
        .load::<App>()
        .unwrap_err();
    let text = err.to_string();
    let at = format!("{}:5", file.path().display());
    assert!(text.contains(&at), "{text}");
    assert!(text.contains("idempotency.lease"), "{text}");
    assert!(text.contains("forever"), "{text}");
}

#[test]
fn an_unknown_key_is_named() {
    let file = config_file("[server]\nprot = 3000\n");
    let err = Loader::with_env(env(&[]))
        .file(file.path())
        .load::<App>()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("server.prot"), "{text}");
    assert!(text.contains(":2"), "{text}");
}

#[test]
fn every_error_is_reported_at_once() {
    let file = config_file("[server]\nport = \"eighty\"\n[idempotency]\nlease = 5\n");
    let vars = env(&[
        ("RESYNC_IDEMPOTENCY__RETENTION", "soon"),
        ("RESYNC_REDIS__URLL", "x"),
    ]);
    let err = Loader::with_env(vars)
        .file(file.path())
        .load::<App>()
        .unwrap_err();
    let paths: Vec<_> = err
        .issues()
        .iter()
        .map(|issue| issue.path.as_str())
        .collect();
    for expected in [
        "server.port",
        "idempotency.lease",
        "idempotency.retention",
        "redis.urll",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
}

#[test]
fn validation_runs_after_types_and_names_the_source() {
    let vars = env(&[
        ("RESYNC_IDEMPOTENCY__LEASE", "48h"),
        ("RESYNC_SERVER__PORT", "0"),
    ]);
    let err = Loader::with_env(vars).load::<App>().unwrap_err();
    assert_eq!(err.issues().len(), 2, "{err}");
    let text = err.to_string();
    assert!(text.contains("RESYNC_IDEMPOTENCY__LEASE"), "{text}");
    assert!(text.contains("shorter than the retention"), "{text}");
}

#[test]
fn a_numeric_secret_from_the_environment_stays_a_string() {
    let vars = env(&[("RESYNC_REDIS__PASSWORD", "123456")]);
    let loaded = Loader::with_env(vars).load::<App>().unwrap();
    assert_eq!(loaded.config().redis.password.as_deref(), Some("123456"));
}

#[test]
fn secrets_never_print() {
    let vars = env(&[
        ("RESYNC_REDIS__PASSWORD", "hunter2"),
        ("RESYNC_REDIS__URL", "redis://app:hunter2@cache:6379"),
    ]);
    let loaded = Loader::with_env(vars).load::<App>().unwrap();
    let shown = loaded.render();
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("password = [redacted]  # environment variable RESYNC_REDIS__PASSWORD"));

    let file = config_file("[redis]\npassword = 42\n");
    let err = Loader::with_env(env(&[]))
        .file(file.path())
        .load::<App>()
        .unwrap_err();
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("42"), "{shown}");
        assert!(shown.contains("redis.password"), "{shown}");
    }
}

#[test]
fn render_lists_every_value_with_its_source() {
    let vars = env(&[("RESYNC_SERVER__PORT", "8080")]);
    let shown = Loader::with_env(vars).load::<App>().unwrap().render();
    assert!(shown.contains("# profile: dev"), "{shown}");
    assert!(shown.contains("[server]\nport = 8080  # environment variable RESYNC_SERVER__PORT"));
    assert!(
        shown.contains("lease = \"1m\"  # built-in default"),
        "{shown}"
    );
}

#[test]
fn a_flag_wins_over_the_environment_and_is_named() {
    let vars = env(&[("RESYNC_SERVER__PORT", "8080")]);
    let loaded = Loader::with_env(vars)
        .flag("server.port", "--port", 9090)
        .load::<App>()
        .unwrap();
    assert_eq!(loaded.config().server.port, 9090);
    assert_eq!(
        loaded.source_of("server.port"),
        Source::Flag {
            flag: "--port".into()
        }
    );

    let err = Loader::with_env(env(&[]))
        .flag("server.port", "--port", 70_000)
        .load::<App>();
    let text = err.unwrap_err().to_string();
    assert!(text.contains("flag --port"), "{text}");
}
