//! Connecting: credentials, databases, the server checks, and what errors may reveal.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;
use std::time::Duration;

use bytes::Bytes;
use cache_core::{Store, StoreError};
use cache_redis::test_support::TestRedis;
use cache_redis::{ConnectError, RedisConfig, RedisStore, RedisUrl};
use secrecy::SecretString;

const PASSWORD: &str = "correct-horse-battery-staple";

/// Everything the store could print about itself or its failures.
fn all_text(config: &RedisConfig, err: &ConnectError) -> String {
    format!("{config:?} {config:#?} {err} {err:?} {err:#?}")
}

#[tokio::test]
async fn user_and_password_authenticate_and_never_show() {
    let secret = format!(">{PASSWORD}");
    let acl_user = ["--user", "app", "on", &secret, "~*", "&*", "+@all"];
    let redis =
        TestRedis::private(&[&["--requirepass", PASSWORD][..], &acl_user].concat()).unwrap();
    let mut config = redis.config();

    config.password = Some(SecretString::from(PASSWORD));
    let store = RedisStore::connect(&config).await.unwrap();
    let key = Bytes::from_static(b"k");
    store.set(&key, "v".into(), None).await.unwrap();
    assert!(!format!("{store:?} {config:?}").contains(PASSWORD));

    let port = redis
        .config()
        .url
        .as_str()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let mut as_app =
        RedisConfig::from_url(&format!("redis://app:{PASSWORD}@127.0.0.1:{port}")).unwrap();
    as_app.key_prefix = config.key_prefix.clone();
    let app = RedisStore::connect(&as_app).await.unwrap();
    assert_eq!(app.get(&key).await.unwrap().as_deref(), Some(&b"v"[..]));
    assert!(!format!("{app:?} {as_app:?}").contains(PASSWORD));

    let wrong = format!("{PASSWORD}-wrong");
    config.password = Some(SecretString::from(wrong.clone()));
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
    let text = all_text(&config, &err);
    assert!(!text.contains(&wrong), "{text}");

    config.password = None;
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_fails_fast_without_showing_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = RedisConfig::from_url(&format!("redis://:{PASSWORD}@127.0.0.1:{port}")).unwrap();
    let err = RedisStore::connect(&config).await.unwrap_err();
    let ConnectError::Unreachable { address, .. } = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert_eq!(address, &format!("127.0.0.1:{port}"));
    assert!(!all_text(&config, &err).contains(PASSWORD));
}

#[tokio::test]
async fn the_database_comes_from_the_url() {
    let redis = TestRedis::private(&[]).unwrap();
    let base = redis.config();
    let mut in_db_3 = base.clone();
    in_db_3.url = RedisUrl::parse(&format!("{}/3", base.url)).unwrap();
    let key = Bytes::from_static(b"k");
    let db3 = RedisStore::connect(&in_db_3).await.unwrap();
    let db0 = RedisStore::connect(&base).await.unwrap();
    db3.set(&key, "three".into(), None).await.unwrap();
    assert_eq!(db0.get(&key).await.unwrap(), None);
    assert_eq!(db3.get(&key).await.unwrap().as_deref(), Some(&b"three"[..]));
}

#[tokio::test]
async fn keys_are_prefixed_and_hash_tagged_on_the_server() {
    let redis = TestRedis::private(&[]).unwrap();
    let config = redis.config();
    let store = RedisStore::connect(&config).await.unwrap();
    store
        .set(&Bytes::from_static(b"order-42"), "v".into(), None)
        .await
        .unwrap();

    let client = redis::Client::open(config.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let expected = format!("{}{{order-42}}", config.key_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(keys, std::slice::from_ref(&expected));
    assert_eq!(store.redis_key(b"order-42"), expected.as_bytes());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&expected)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(ttl, -1, "a record without TTL must not expire");

    store
        .set(
            &Bytes::from_static(b"order-42"),
            "v".into(),
            Some(Duration::from_secs(9)),
        )
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&expected)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!((8_000..=9_000).contains(&ttl), "PTTL {ttl}");
}

#[tokio::test]
async fn a_full_server_answers_capacity_exceeded() {
    let redis = TestRedis::private(&["--maxmemory", "4mb"]).unwrap();
    let store = RedisStore::connect(&redis.config()).await.unwrap();
    let value = Bytes::from(vec![7u8; 256 * 1024]);
    let mut refused = None;
    for i in 0..64 {
        let key = Bytes::from(format!("fill-{i}"));
        if let Err(err) = store.set(&key, value.clone(), None).await {
            refused = Some(err);
            break;
        }
    }
    match refused {
        Some(StoreError::CapacityExceeded { capacity }) => assert_eq!(capacity, 4 * 1024 * 1024),
        other => panic!("expected CapacityExceeded, got {other:?}"),
    }
    let key = Bytes::from_static(b"fill-0");
    assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&value[..]));
}

thread_local! {
    /// What `tracing` wrote on this thread.
    static LOGS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A `tracing` writer that keeps what each thread is given in that thread's [`LOGS`].
struct ThreadLogs;

impl Write for ThreadLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.with(|logs| logs.borrow_mut().extend_from_slice(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What `tracing` has written on this thread so far. The subscriber is installed once, globally:
/// one set for a test's scope makes `tracing` recompute callsite interest when the scope starts
/// and ends, and a test running beside that can miss its own events.
fn thread_logs() -> String {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadLogs)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    });
    LOGS.with(|logs| String::from_utf8_lossy(&logs.borrow()).into_owned())
}

#[tokio::test]
async fn an_evicting_server_is_warned_about_and_a_safe_one_is_not() {
    let before = thread_logs();
    let safe = TestRedis::private(&[]).unwrap();
    RedisStore::connect(&safe.config()).await.unwrap();
    assert!(!thread_logs()[before.len()..].contains("WARN"));

    let evicting = TestRedis::private(&["--maxmemory-policy", "volatile-lru"]).unwrap();
    RedisStore::connect(&evicting.config()).await.unwrap();
    let text = thread_logs()[before.len()..].to_owned();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("volatile-lru"), "{text}");
    assert!(text.contains("noeviction"), "{text}");
}

#[tokio::test]
async fn invalid_configs_are_refused_before_connecting() {
    let config = RedisConfig {
        key_prefix: "{tag}".into(),
        ..RedisConfig::default()
    };
    let err = RedisStore::connect(&config).await.unwrap_err();
    assert!(
        matches!(&err, ConnectError::Config(e) if e.field() == "key_prefix"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_server_keeps_only_what_others_wrote() {
    let owner = TestRedis::private(&[]).unwrap();
    let owner_config = owner.config();
    let theirs = RedisStore::connect(&owner_config).await.unwrap();
    let key = Bytes::from_static(b"k");
    theirs.set(&key, "theirs".into(), None).await.unwrap();

    let shared = TestRedis::shared(owner_config.url.as_str()).unwrap();
    let ours = RedisStore::connect(&shared.config()).await.unwrap();
    for i in 0..2500 {
        ours.set(&Bytes::from(format!("k{i}")), "ours".into(), None)
            .await
            .unwrap();
    }
    let client = redis::Client::open(owner_config.url.as_str()).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let size = |raw: &mut redis::aio::MultiplexedConnection| {
        let mut raw = raw.clone();
        async move {
            redis::cmd("DBSIZE")
                .query_async::<u64>(&mut raw)
                .await
                .unwrap()
        }
    };
    assert_eq!(size(&mut raw).await, 2501);
    drop(shared);
    assert_eq!(size(&mut raw).await, 1);
    assert_eq!(
        theirs.get(&key).await.unwrap().as_deref(),
        Some(&b"theirs"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_replica_answers_read_only() {
    let primary = TestRedis::private(&[]).unwrap();
    let port = primary
        .config()
        .url
        .as_str()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let replica = TestRedis::private(&["--replicaof", "127.0.0.1", &port]).unwrap();
    let store = RedisStore::connect(&replica.config()).await.unwrap();
    let key = Bytes::from_static(b"k");
    assert_eq!(store.get(&key).await.unwrap(), None);
    let refused = [
        store.set(&key, "v".into(), None).await.unwrap_err(),
        store
            .insert_if_absent(&key, "v".into(), None)
            .await
            .unwrap_err(),
    ];
    for err in refused {
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
    }
}
