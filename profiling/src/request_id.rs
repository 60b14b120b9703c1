//! Where the request id logged with a slow request comes from.

use http::{HeaderName, HeaderValue, Request};

/// A request id that an outer layer placed in the request's extensions.
///
/// The layers log the configured request header first
/// ([`ProfilingConfig::request_id_header`](crate::ProfilingConfig::request_id_header)), and this
/// extension when the header is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub HeaderValue);

/// The request's id, kept (a cheap clone) in case the request turns out slow.
pub(crate) fn of<B>(request: &Request<B>, header: &HeaderName) -> Option<HeaderValue> {
    request
        .headers()
        .get(header)
        .or_else(|| request.extensions().get::<RequestId>().map(|id| &id.0))
        .cloned()
}

/// How a request id appears in a log line.
pub(crate) fn display(id: Option<&HeaderValue>) -> &str {
    match id {
        Some(id) => id.to_str().unwrap_or("<not visible ASCII>"),
        None => "-",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_header_then_the_extension() {
        let header = HeaderName::from_static("x-request-id");
        let mut request = Request::new(());
        request
            .extensions_mut()
            .insert(RequestId(HeaderValue::from_static("from-extension")));
        assert_eq!(display(of(&request, &header).as_ref()), "from-extension");
        request
            .headers_mut()
            .insert(&header, HeaderValue::from_static("from-header"));
        assert_eq!(display(of(&request, &header).as_ref()), "from-header");
        assert_eq!(display(None), "-");
    }
}
