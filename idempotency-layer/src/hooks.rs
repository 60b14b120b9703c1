//! The hooks an application plugs in: who is asking, which requests are covered, and which
//! response headers may be replayed.
//!
//! Each is a small trait implemented for `()` (the default behaviour) and for closures, so the
//! common case needs no code.

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderName, HeaderValue};

/// Reads the principal (the authenticated user, tenant, API key id) a request acts for.
///
/// The stored key derives from the principal and the client's key, so two principals sending the
/// same key never share a record. `()` answers `None`: every client shares one scope.
///
/// ```
/// use bytes::Bytes;
/// use http::request::Parts;
///
/// #[derive(Clone)]
/// struct UserId(String);
///
/// // An authentication layer in front put the user in the request extensions.
/// let principal = |parts: &Parts| {
///     parts.extensions.get::<UserId>().map(|user| Bytes::from(user.0.clone()))
/// };
/// # let _: &dyn idempotency_layer::PrincipalHook = &principal;
/// ```
pub trait PrincipalHook: Send + Sync + 'static {
    /// The principal of the request whose head is `request`, `None` for no scope.
    fn principal(&self, request: &Parts) -> Option<Bytes>;
}

impl PrincipalHook for () {
    fn principal(&self, _: &Parts) -> Option<Bytes> {
        None
    }
}

impl<F> PrincipalHook for F
where
    F: Fn(&Parts) -> Option<Bytes> + Send + Sync + 'static,
{
    fn principal(&self, request: &Parts) -> Option<Bytes> {
        self(request)
    }
}

/// Narrows the covered requests beyond their method (to some routes, say).
///
/// `()` covers every request whose method is configured.
pub trait RequestPredicate: Send + Sync + 'static {
    /// True when `request` gets idempotency semantics.
    fn applies(&self, request: &Parts) -> bool;
}

impl RequestPredicate for () {
    fn applies(&self, _: &Parts) -> bool {
        true
    }
}

impl<F> RequestPredicate for F
where
    F: Fn(&Parts) -> bool + Send + Sync + 'static,
{
    fn applies(&self, request: &Parts) -> bool {
        self(request)
    }
}

/// Decides which response headers (and trailers) are stored for replay.
///
/// It is asked for every header of a kept response with `allowed` set from the configured
/// allow-list, and returns whether to keep it. Whatever it answers, headers that must never be
/// replayed (`Set-Cookie`, `Authorization`, `WWW-Authenticate`, `Proxy-Authenticate`, `Date`,
/// `Content-Length` and hop-by-hop headers) are dropped. `()` follows the allow-list.
pub trait ReplaySanitizer: Send + Sync + 'static {
    /// True to store `name: value` for replay.
    fn keep(&self, name: &HeaderName, value: &HeaderValue, allowed: bool) -> bool;
}

impl ReplaySanitizer for () {
    fn keep(&self, _: &HeaderName, _: &HeaderValue, allowed: bool) -> bool {
        allowed
    }
}

impl<F> ReplaySanitizer for F
where
    F: Fn(&HeaderName, &HeaderValue, bool) -> bool + Send + Sync + 'static,
{
    fn keep(&self, name: &HeaderName, value: &HeaderValue, allowed: bool) -> bool {
        self(name, value, allowed)
    }
}
