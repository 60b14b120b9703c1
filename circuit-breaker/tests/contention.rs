//! Half-open under contention: real threads, a hand-moved clock, no sleeps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use circuit_breaker::{
    CircuitBreakerConfig, CircuitBreakerLayer, CircuitOpen, Clock, ErrorsAsFailures, State,
    WaitConfig, WindowConfig,
};
use tokio::sync::{Barrier, Semaphore};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

/// A clock moved only by the test.
#[derive(Debug, Clone, Default)]
struct HandClock(Arc<AtomicU64>);

impl Clock for HandClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

const CALLERS: usize = 50;
const PROBES: u32 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_callers_three_probes_exactly_three_reach_the_service() {
    let clock = HandClock::default();
    let config = CircuitBreakerConfig {
        name: "contended".into(),
        window: WindowConfig::Count { size: 4 },
        minimum_calls: 4,
        wait: WaitConfig::Fixed {
            duration: Duration::from_secs(5),
        },
        half_open_probes: PROBES,
        ..Default::default()
    };
    let layer = CircuitBreakerLayer::builder(config)
        .classify(ErrorsAsFailures)
        .clock(clock.clone())
        .build()
        .unwrap();
    let handle = layer.handle();

    let failing = Arc::new(AtomicBool::new(true));
    let reached = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Semaphore::new(0));
    let service = ServiceBuilder::new().layer(layer).service(service_fn({
        let (failing, reached, release) = (failing.clone(), reached.clone(), release.clone());
        move |_: ()| {
            let (failing, reached, release) = (failing.clone(), reached.clone(), release.clone());
            async move {
                if failing.load(Ordering::SeqCst) {
                    return Err(std::io::Error::other("down"));
                }
                reached.fetch_add(1, Ordering::SeqCst);
                release.acquire().await.expect("never closed").forget();
                Ok(())
            }
        }
    }));

    for round in 0..20 {
        failing.store(true, Ordering::SeqCst);
        for _ in 0..4 {
            let _ = service.clone().oneshot(()).await;
        }
        assert_eq!(handle.state(), State::Open, "round {round}");
        failing.store(false, Ordering::SeqCst);
        reached.store(0, Ordering::SeqCst);
        clock
            .0
            .fetch_add(Duration::from_secs(5).as_nanos() as u64, Ordering::SeqCst);

        let barrier = Arc::new(Barrier::new(CALLERS));
        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..CALLERS {
            let (mut service, barrier) = (service.clone(), barrier.clone());
            callers.spawn(async move {
                barrier.wait().await;
                service.ready().await?.call(()).await
            });
        }
        let mut rejected = 0;
        while rejected < CALLERS - PROBES as usize {
            let result = tokio::time::timeout(Duration::from_secs(30), callers.join_next())
                .await
                .expect("a rejected caller was left pending")
                .unwrap()
                .unwrap();
            let error = result.expect_err("a probe finished before it was released");
            assert!(CircuitOpen::find(&*error).is_some(), "{error}");
            rejected += 1;
        }
        // An admitted probe may not have been polled into the service yet when the last
        // rejection returns; every other caller has finished, so the count can only reach three.
        tokio::time::timeout(Duration::from_secs(30), async {
            while reached.load(Ordering::SeqCst) < PROBES as usize {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the admitted probes reach the service");
        assert_eq!(
            reached.load(Ordering::SeqCst),
            PROBES as usize,
            "round {round}"
        );
        release.add_permits(PROBES as usize);
        while let Some(probe) = callers.join_next().await {
            probe.unwrap().expect("a probe failed");
        }
        assert_eq!(reached.load(Ordering::SeqCst), PROBES as usize);
        assert_eq!(handle.state(), State::Closed, "round {round}");
    }
}
