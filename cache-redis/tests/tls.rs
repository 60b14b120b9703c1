//! `rediss://` against a private `redis-server` serving TLS with a certificate authority made for
//! the test.
#![cfg(feature = "tls")]

use std::path::Path;
use std::process::Command;

use bytes::Bytes;
use cache_core::Store;
use cache_redis::test_support::TestRedis;
use cache_redis::{ConnectError, RedisStore, RedisUrl};

/// Makes `ca.crt`, and `server.crt`/`server.key` for 127.0.0.1 signed by it, in `dir`.
fn make_certificates(dir: &Path) {
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    let steps = [
        "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout ca.key -out ca.crt",
        "req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr",
        "x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 \
         -extfile san.ext -out server.crt",
    ];
    for args in steps {
        let output = Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(dir)
            .output()
            .expect("the TLS test needs the `openssl` command");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_urls_verify_the_server_against_the_configured_authority() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let file = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (cert, key, ca) = (file("server.crt"), file("server.key"), file("ca.crt"));
    let redis = TestRedis::private(&[
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &cert,
        "--tls-key-file",
        &key,
        "--tls-ca-cert-file",
        &ca,
        "--tls-auth-clients",
        "no",
    ])
    .unwrap();

    let mut config = redis.config();
    config.url = RedisUrl::parse(&format!("rediss://127.0.0.1:{tls_port}")).unwrap();
    config.tls_ca_file = Some(ca.into());
    let store = RedisStore::connect(&config).await.unwrap();
    let key = Bytes::from_static(b"k");
    store.set(&key, "over tls".into(), None).await.unwrap();
    assert_eq!(
        store.get(&key).await.unwrap().as_deref(),
        Some(&b"over tls"[..])
    );

    // The system's authorities do not know this server's: the handshake must fail.
    config.tls_ca_file = None;
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
}
