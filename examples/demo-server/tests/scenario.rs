//! The demo scenario, as `cargo xtask demo` plays it, against the real server binary.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenario_holds_on_the_durable_store() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_demo-server"));
    let data = tempfile::tempdir().unwrap();
    demo_server::scenario::run(exe, data.path(), "durable")
        .await
        .unwrap();
}
