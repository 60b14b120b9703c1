//! What of a response is stored, and how a stored response is replayed.

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Response};

use crate::body::ReplayBody;
use crate::config::ReplayConfig;
use crate::error::ConfigError;
use crate::hooks::ReplaySanitizer;
use crate::record::Completed;
use crate::settings::header_name;

/// The header every replayed response carries.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Headers never stored nor replayed, whatever the allow-list or the sanitizer say: credentials
/// and cookies belong to the first client's exchange, `Date` and `Content-Length` are the
/// replay's own, and hop-by-hop headers describe one connection.
static NEVER_REPLAYED: [HeaderName; 14] = [
    header::SET_COOKIE,
    header::AUTHORIZATION,
    header::WWW_AUTHENTICATE,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::DATE,
    header::CONTENT_LENGTH,
    header::CONNECTION,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
];

/// The validated allow-lists of [`ReplayConfig`].
#[derive(Debug, Clone)]
pub(crate) struct ReplayRules {
    headers: Vec<HeaderName>,
    trailers: Vec<HeaderName>,
}

impl ReplayRules {
    pub(crate) fn new(config: &ReplayConfig) -> Result<Self, ConfigError> {
        let list = |field: &'static str, names: &[String]| {
            names
                .iter()
                .map(|name| {
                    let parsed = header_name(field, name)?;
                    if NEVER_REPLAYED.contains(&parsed) {
                        return Err(ConfigError::new(
                            field,
                            format!("`{name}` is never replayed and may not be listed"),
                        ));
                    }
                    Ok(parsed)
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            headers: list("replay.headers", &config.headers)?,
            trailers: list("replay.trailers", &config.trailers)?,
        })
    }

    /// The response headers to store.
    pub(crate) fn headers(&self, sanitizer: &dyn ReplaySanitizer, from: &HeaderMap) -> HeaderMap {
        collect(self.kept_headers(sanitizer, from))
    }

    /// The trailers to store.
    pub(crate) fn trailers(&self, sanitizer: &dyn ReplaySanitizer, from: &HeaderMap) -> HeaderMap {
        collect(self.kept_trailers(sanitizer, from))
    }

    /// The response headers to store, in order, without copying them.
    pub(crate) fn kept_headers<'a>(
        &'a self,
        sanitizer: &'a dyn ReplaySanitizer,
        from: &'a HeaderMap,
    ) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> {
        kept(&self.headers, sanitizer, from)
    }

    /// The trailers to store, in order, without copying them.
    pub(crate) fn kept_trailers<'a>(
        &'a self,
        sanitizer: &'a dyn ReplaySanitizer,
        from: &'a HeaderMap,
    ) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> {
        kept(&self.trailers, sanitizer, from)
    }
}

fn kept<'a>(
    allowed: &'a [HeaderName],
    sanitizer: &'a dyn ReplaySanitizer,
    from: &'a HeaderMap,
) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> {
    from.iter()
        .filter(move |(name, value)| {
            // The record format bounds names to 255 bytes and values to 64 KiB; no real header
            // is longer, and a longer one is dropped rather than stored truncated.
            let fits =
                name.as_str().len() <= usize::from(u8::MAX) && value.len() <= usize::from(u16::MAX);
            fits && !NEVER_REPLAYED.contains(name)
                && sanitizer.keep(name, value, allowed.contains(name))
        })
        .take(usize::from(u16::MAX))
}

fn collect<'a>(kept: impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in kept {
        map.append(name.clone(), value.clone());
    }
    map
}

/// The response a retry receives: the stored one, marked as a replay.
pub(crate) fn replay<B>(completed: Completed) -> Response<ReplayBody<B>> {
    let mut response = Response::new(ReplayBody::full(completed.body, completed.trailers));
    *response.status_mut() = completed.status;
    *response.headers_mut() = completed.headers;
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.append(header::SET_COOKIE, "session=secret".parse().unwrap());
        headers.append(header::LINK, "</a>; rel=next".parse().unwrap());
        headers.append(header::LINK, "</b>; rel=prev".parse().unwrap());
        headers.append(
            header::DATE,
            "Sun, 29 Nov 2026 10:00:00 GMT".parse().unwrap(),
        );
        headers.append(header::CONNECTION, "close".parse().unwrap());
        headers.append("x-internal", "1".parse().unwrap());
        headers.append(header::CONTENT_TYPE, "application/json".parse().unwrap());
        headers
    }

    #[test]
    fn the_allow_list_keeps_repeated_headers_in_order_and_drops_the_rest() {
        let rules = ReplayRules::new(&ReplayConfig::default()).unwrap();
        let kept = rules.headers(&(), &response_headers());
        let links: Vec<_> = kept.get_all(header::LINK).iter().collect();
        assert_eq!(links, ["</a>; rel=next", "</b>; rel=prev"]);
        assert_eq!(kept[header::CONTENT_TYPE], "application/json");
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn a_response_encoded_as_it_streams_equals_its_stored_copy_encoded() {
        let rules = ReplayRules::new(&ReplayConfig::default()).unwrap();
        let (headers, mut trailers) = (response_headers(), HeaderMap::new());
        trailers.append("grpc-status", "0".parse().unwrap());
        trailers.append(header::SET_COOKIE, "session=secret".parse().unwrap());
        let body = bytes::Bytes::from_static(b"{}");
        let fingerprint = crate::fingerprint::Fingerprint([3; 16]);
        let stored = Completed {
            fingerprint,
            status: http::StatusCode::CREATED,
            headers: rules.headers(&(), &headers),
            body: body.clone(),
            trailers: Some(rules.trailers(&(), &trailers)),
        };
        let streamed = crate::record::encode_completed(
            fingerprint,
            http::StatusCode::CREATED,
            rules.kept_headers(&(), &headers),
            &body,
            Some(rules.kept_trailers(&(), &trailers)),
            bytes::BytesMut::new(),
        );
        assert_eq!(streamed, stored.encode_into(bytes::BytesMut::new()));
    }

    #[test]
    fn a_sanitizer_widens_the_list_but_never_past_the_forbidden_headers() {
        let rules = ReplayRules::new(&ReplayConfig::default()).unwrap();
        let everything = |_: &HeaderName, _: &HeaderValue, _: bool| true;
        let kept = rules.headers(&everything, &response_headers());
        assert!(kept.contains_key("x-internal"));
        for never in [header::SET_COOKIE, header::DATE, header::CONNECTION] {
            assert!(!kept.contains_key(&never), "{never}");
        }
        let nothing = |_: &HeaderName, _: &HeaderValue, _: bool| false;
        assert!(rules.headers(&nothing, &response_headers()).is_empty());
    }
}
