//! Metric and attribute names: the one naming scheme of the workspace.
//!
//! Names are dotted, as OpenTelemetry writes them; the Prometheus exporter turns the dots into
//! underscores and, with [`prometheus::builder`](crate::prometheus::builder), appends the unit
//! (`http.server.request.duration` is scraped as `http_server_request_duration_seconds`). Every
//! duration is in seconds. The storage names are recorded by the storage crates themselves, behind
//! their own `metrics` feature; they are listed here so the whole scheme lives in one table.

/// Histogram: duration of HTTP server requests, in seconds (OpenTelemetry HTTP semconv).
pub const HTTP_SERVER_REQUEST_DURATION: &str = "http.server.request.duration";
/// Gauge: HTTP server requests in flight (OpenTelemetry HTTP semconv).
pub const HTTP_SERVER_ACTIVE_REQUESTS: &str = "http.server.active_requests";
/// Histogram: duration of inbound RPCs, in seconds (OpenTelemetry RPC semconv).
pub const RPC_SERVER_CALL_DURATION: &str = "rpc.server.call.duration";
/// Histogram: duration of a named application operation, in seconds.
pub const OPERATION_DURATION: &str = "operation.duration";

/// Histogram: duration of one store operation, in seconds; labels [`STORE`] and [`OP`].
pub const CACHE_OPERATION_DURATION: &str = "cache.operation.duration";
/// Histogram: time spent waiting for a shard lock, in seconds; label [`STORE`].
pub const CACHE_LOCK_WAIT_DURATION: &str = "cache.lock.wait.duration";
/// Gauge: live entries in a store; label [`STORE`].
pub const CACHE_ENTRIES: &str = "cache.entries";
/// Gauge: approximate memory held by a store's entries, in bytes; label [`STORE`].
pub const CACHE_MEMORY_BYTES: &str = "cache.memory.bytes";
/// Counter: entries removed by the cache itself; labels [`STORE`] and [`CAUSE`].
pub const CACHE_EVICTIONS: &str = "cache.evictions";
/// Histogram: duration of one write-ahead-log append, in seconds; label [`STORE`].
pub const WAL_APPEND_DURATION: &str = "wal.append.duration";
/// Histogram: duration of one write-ahead-log fsync, in seconds; label [`STORE`].
pub const WAL_FSYNC_DURATION: &str = "wal.fsync.duration";
/// Histogram: records made durable by one group commit; label [`STORE`].
pub const WAL_GROUP_SIZE: &str = "wal.group.size";
/// Histogram: duration of writing one snapshot, in seconds; label [`STORE`].
pub const SNAPSHOT_DURATION: &str = "snapshot.duration";
/// Gauge: size of the newest snapshot, in bytes; label [`STORE`].
pub const SNAPSHOT_SIZE_BYTES: &str = "snapshot.size.bytes";
/// Histogram: duration of recovery at open (snapshot load and log replay), in seconds.
pub const RECOVERY_DURATION: &str = "recovery.duration";
/// Counter: records replayed by recovery; label [`STORE`].
pub const RECOVERY_RECORDS: &str = "recovery.records";

/// Attribute: the request method, or `_OTHER` for a method outside RFC 9110 and PATCH.
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
/// Attribute: `http` or `https`.
pub const URL_SCHEME: &str = "url.scheme";
/// Attribute: the response status code.
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
/// Attribute: the route template that matched (`/users/{id}`), never the raw path.
pub const HTTP_ROUTE: &str = "http.route";
/// Attribute: why a request or call failed; present only when it did.
pub const ERROR_TYPE: &str = "error.type";
/// Attribute: the RPC system (`grpc`).
pub const RPC_SYSTEM: &str = "rpc.system";
/// Attribute: the full name of the RPC service (`helloworld.Greeter`).
pub const RPC_SERVICE: &str = "rpc.service";
/// Attribute: the RPC method name (`SayHello`).
pub const RPC_METHOD: &str = "rpc.method";
/// Attribute: the numeric gRPC status code of the call.
pub const RPC_GRPC_STATUS_CODE: &str = "rpc.grpc.status_code";
/// Attribute: the name of an application operation.
pub const OPERATION: &str = "operation";
/// Attribute: which store recorded a storage metric (`sharded`, `durable`, `redis`).
pub const STORE: &str = "store";
/// Attribute: the store operation (`get`, `set`, `insert_if_absent`, ...).
pub const OP: &str = "op";
/// Attribute: why an entry was evicted (`expired`, `size`, ...).
pub const CAUSE: &str = "cause";

/// The value semconv prescribes for a method, error or RPC name the instrumentation does not know.
pub const OTHER: &str = "_OTHER";
