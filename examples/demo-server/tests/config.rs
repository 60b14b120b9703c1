//! The server's configuration as a user meets it: `--print-config`, and errors at startup.

use std::process::{Command, Output};

fn demo_server(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo-server"));
    command
        .args(args)
        .env_remove("RESYNC_CONFIG")
        .env_remove("RESYNC_PROFILE");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the demo server runs")
}

#[test]
fn print_config_shows_every_source_and_no_secret() {
    let output = demo_server(
        &["--print-config", "--port", "4000"],
        &[
            ("RESYNC_IDEMPOTENCY__LEASE", "90s"),
            ("RESYNC_REDIS__PASSWORD", "hunter2"),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown = String::from_utf8(output.stdout).unwrap();
    assert!(shown.contains("port = 4000  # flag --port"), "{shown}");
    assert!(
        shown.contains("lease = \"1m 30s\"  # environment variable RESYNC_IDEMPOTENCY__LEASE"),
        "{shown}"
    );
    assert!(
        shown.contains("dir = \"data/idempotency\"  # profile `dev` default"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn a_bad_variable_stops_the_server_naming_it() {
    let output = demo_server(
        &[],
        &[("RESYNC_SERVER__PORT", "abc"), ("RESYNC_PROFILE", "prod")],
    );
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("RESYNC_SERVER__PORT"), "{error}");
    assert!(error.contains("server.port"), "{error}");
}
