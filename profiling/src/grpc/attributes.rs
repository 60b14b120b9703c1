//! The attributes of `rpc.server.call.duration`.

use http::HeaderMap;
use metrics::Label;

use crate::cache::LabelSet;
use crate::config::Attributes;
use crate::names::{ERROR_TYPE, OTHER, RPC_GRPC_STATUS_CODE, RPC_METHOD, RPC_SERVICE, RPC_SYSTEM};

/// `CANCELLED`: the call ended before its status was sent.
pub(crate) const CANCELLED: u8 = 1;
/// `UNKNOWN`: the status is missing or not one of the sixteen codes.
pub(crate) const UNKNOWN: u8 = 2;
/// `UNIMPLEMENTED`: what a server answers for a service or method it does not have.
const UNIMPLEMENTED: u8 = 12;
/// The longest service or method name kept as a label.
const MAX_NAME: usize = 128;

/// The status codes that mean the server failed (semconv's server span status): they set
/// `error.type`.
fn is_server_error(code: u8) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

/// The `grpc-status` of a header or trailer map; a value outside 0..=16 counts as `UNKNOWN`.
pub(crate) fn status(headers: &HeaderMap) -> Option<u8> {
    let value = headers.get("grpc-status")?;
    let code = std::str::from_utf8(value.as_bytes())
        .ok()
        .and_then(|text| text.parse::<u8>().ok())
        .filter(|code| *code <= 16);
    Some(code.unwrap_or(UNKNOWN))
}

/// Service and method of a `/package.Service/Method` path, or `None` when the path is not of that
/// form (so a client cannot mint series with arbitrary paths).
pub(crate) fn service_and_method(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let valid = |name: &str, dot: bool| {
        (1..=MAX_NAME).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || (dot && b == b'.'))
    };
    (valid(service, true) && valid(method, false)).then_some((service, method))
}

/// One label set of the call duration histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct GrpcLabels<'a> {
    service: &'a str,
    method: &'a str,
    status: Option<u8>,
    error: Option<Option<u8>>,
}

/// The owned form of [`GrpcLabels`].
#[derive(Debug)]
pub(crate) struct OwnedGrpcLabels {
    service: Box<str>,
    method: Box<str>,
    status: Option<u8>,
    error: Option<Option<u8>>,
}

impl<'a> GrpcLabels<'a> {
    /// The labels of a call to `path` that ended with `status`, or whose inner service `failed`.
    ///
    /// `path` is `None` when the server did not answer the call as gRPC (no HTTP 200 head): the
    /// names are then `_OTHER`, as they are for a call answered `UNIMPLEMENTED` (how a server
    /// answers a service or method it does not have), since those names come from the client.
    pub(crate) fn new(
        attributes: &Attributes,
        path: Option<&'a str>,
        status: u8,
        failed: bool,
    ) -> Self {
        let (service, method) = path
            .and_then(service_and_method)
            .filter(|_| status != UNIMPLEMENTED)
            .unwrap_or((OTHER, OTHER));
        // `Some(None)` is `error.type = _OTHER`; `Some(Some(code))` is the status code.
        let error = if failed {
            Some(None)
        } else {
            is_server_error(status).then_some(Some(status))
        };
        Self {
            service,
            method,
            status: attributes.status_code.then_some(status),
            error: error.filter(|_| attributes.error_type),
        }
    }

    /// The service label: the path's service, or `_OTHER`.
    pub(crate) fn service(&self) -> &'a str {
        self.service
    }

    /// The method label: the path's method, or `_OTHER`.
    pub(crate) fn method(&self) -> &'a str {
        self.method
    }
}

impl LabelSet for GrpcLabels<'_> {
    type Owned = OwnedGrpcLabels;

    fn matches(&self, owned: &OwnedGrpcLabels) -> bool {
        self.status == owned.status
            && self.error == owned.error
            && self.method == &*owned.method
            && self.service == &*owned.service
    }

    fn to_owned(&self) -> OwnedGrpcLabels {
        OwnedGrpcLabels {
            service: self.service.into(),
            method: self.method.into(),
            status: self.status,
            error: self.error,
        }
    }

    fn labels(&self) -> Vec<Label> {
        let mut labels = vec![
            Label::new(RPC_SYSTEM, "grpc"),
            Label::new(RPC_SERVICE, self.service.to_owned()),
            Label::new(RPC_METHOD, self.method.to_owned()),
        ];
        if let Some(status) = self.status {
            labels.push(Label::new(RPC_GRPC_STATUS_CODE, status.to_string()));
        }
        match self.error {
            Some(Some(code)) => labels.push(Label::new(ERROR_TYPE, code.to_string())),
            Some(None) => labels.push(Label::new(ERROR_TYPE, OTHER)),
            None => {}
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn parses_well_formed_paths_only() {
        assert_eq!(
            service_and_method("/helloworld.Greeter/SayHello"),
            Some(("helloworld.Greeter", "SayHello"))
        );
        for bad in [
            "/", "//x", "/a/", "/a/b/c", "a/b", "/a b/c", "/a/b.c", "/a/%2e",
        ] {
            assert_eq!(service_and_method(bad), None, "{bad}");
        }
        let long = format!("/{}/M", "s".repeat(MAX_NAME + 1));
        assert_eq!(service_and_method(&long), None);
    }

    #[test]
    fn reads_status_and_bounds_it() {
        let mut headers = HeaderMap::new();
        assert_eq!(status(&headers), None);
        headers.insert("grpc-status", HeaderValue::from_static("5"));
        assert_eq!(status(&headers), Some(5));
        headers.insert("grpc-status", HeaderValue::from_static("99"));
        assert_eq!(status(&headers), Some(UNKNOWN));
        headers.insert("grpc-status", HeaderValue::from_static("ok"));
        assert_eq!(status(&headers), Some(UNKNOWN));
    }

    #[test]
    fn unimplemented_and_malformed_calls_are_other() {
        let attributes = Attributes::default();
        let unimplemented =
            GrpcLabels::new(&attributes, Some("/made.Up/Thing"), UNIMPLEMENTED, false);
        assert_eq!(
            (unimplemented.service, unimplemented.method),
            (OTHER, OTHER)
        );
        assert_eq!(unimplemented.error, Some(Some(UNIMPLEMENTED)));
        let ok = GrpcLabels::new(&attributes, Some("/a.B/C"), 0, false);
        assert_eq!((ok.service, ok.method, ok.error), ("a.B", "C", None));
        let not_found = GrpcLabels::new(&attributes, Some("/a.B/C"), 5, false);
        assert_eq!(not_found.error, None, "NOT_FOUND is the client's problem");
        let unanswered = GrpcLabels::new(&attributes, None, UNKNOWN, true);
        assert_eq!((unanswered.service, unanswered.error), (OTHER, Some(None)));
    }
}
