//! The attributes of `http.server.request.duration`, borrowed from the request on the hot path.

use std::hash::{Hash, Hasher};

use http::{Method, StatusCode, Uri};
use metrics::Label;

use crate::cache::LabelSet;
use crate::config::{Attributes, Scheme};
use crate::names::{
    ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, HTTP_ROUTE, OTHER, URL_SCHEME,
};

/// The methods semconv names (RFC 9110 and PATCH), then `_OTHER` for every other one, so a client
/// cannot mint series by sending made-up methods.
pub(crate) const METHODS: [&str; 10] = [
    "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", OTHER,
];

/// The index of `method` in [`METHODS`].
pub(crate) fn method_index(method: &Method) -> u8 {
    match method.as_str() {
        "CONNECT" => 0,
        "DELETE" => 1,
        "GET" => 2,
        "HEAD" => 3,
        "OPTIONS" => 4,
        "PATCH" => 5,
        "POST" => 6,
        "PUT" => 7,
        "TRACE" => 8,
        _ => 9,
    }
}

/// The scheme of `uri` when it names `http` or `https`, else the configured one.
pub(crate) fn scheme(uri: &Uri, default: Scheme) -> Scheme {
    match uri.scheme_str() {
        Some("https") => Scheme::Https,
        Some("http") => Scheme::Http,
        _ => default,
    }
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The inner service produced a response head.
    Status(StatusCode),
    /// The inner service failed before a response.
    Error,
}

/// The value of `error.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorType {
    /// A 5xx response: semconv sets `error.type` to the status code.
    Status(u16),
    /// The inner service's error: semconv's `_OTHER` when no better name is known.
    Other,
}

/// One label set of the request duration histogram, with the disabled attributes left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HttpLabels<'a> {
    method: u8,
    scheme: Option<Scheme>,
    status: Option<u16>,
    error: Option<ErrorType>,
    route: Option<&'a str>,
}

/// The owned form of [`HttpLabels`], kept in the handle cache.
#[derive(Debug)]
pub(crate) struct OwnedHttpLabels {
    method: u8,
    scheme: Option<Scheme>,
    status: Option<u16>,
    error: Option<ErrorType>,
    route: Option<Box<str>>,
}

impl<'a> HttpLabels<'a> {
    pub(crate) fn new(
        attributes: &Attributes,
        method: u8,
        scheme: Scheme,
        route: Option<&'a str>,
        outcome: Outcome,
    ) -> Self {
        let error = match outcome {
            Outcome::Status(status) if status.is_server_error() => {
                Some(ErrorType::Status(status.as_u16()))
            }
            Outcome::Status(_) => None,
            Outcome::Error => Some(ErrorType::Other),
        };
        let status = match outcome {
            Outcome::Status(status) => Some(status.as_u16()),
            Outcome::Error => None,
        };
        Self {
            method,
            scheme: attributes.url_scheme.then_some(scheme),
            status: status.filter(|_| attributes.status_code),
            error: error.filter(|_| attributes.error_type),
            route: route.filter(|_| attributes.http_route),
        }
    }
}

/// Hashed on every request: the small attributes go in as one word, then the route's bytes, so
/// the hasher runs twice rather than once per field and discriminant.
impl Hash for HttpLabels<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let error = match self.error {
            None => 0,
            Some(ErrorType::Other) => 1,
            Some(ErrorType::Status(status)) => u64::from(status) << 1,
        };
        let word = u64::from(self.method)
            | self.scheme.map_or(0, |scheme| scheme as u64 + 1) << 8
            | u64::from(self.status.unwrap_or(0)) << 16
            | error << 32
            | u64::from(self.route.is_some()) << 56;
        state.write_u64(word);
        if let Some(route) = self.route {
            state.write(route.as_bytes());
        }
    }
}

impl LabelSet for HttpLabels<'_> {
    type Owned = OwnedHttpLabels;

    fn matches(&self, owned: &OwnedHttpLabels) -> bool {
        self.method == owned.method
            && self.scheme == owned.scheme
            && self.status == owned.status
            && self.error == owned.error
            && self.route == owned.route.as_deref()
    }

    fn to_owned(&self) -> OwnedHttpLabels {
        OwnedHttpLabels {
            method: self.method,
            scheme: self.scheme,
            status: self.status,
            error: self.error,
            route: self.route.map(Box::from),
        }
    }

    fn labels(&self) -> Vec<Label> {
        let mut labels = vec![Label::new(
            HTTP_REQUEST_METHOD,
            METHODS[usize::from(self.method)],
        )];
        if let Some(scheme) = self.scheme {
            labels.push(Label::new(URL_SCHEME, scheme.as_str()));
        }
        if let Some(status) = self.status {
            labels.push(Label::new(HTTP_RESPONSE_STATUS_CODE, status.to_string()));
        }
        if let Some(route) = self.route {
            labels.push(Label::new(HTTP_ROUTE, route.to_owned()));
        }
        match self.error {
            Some(ErrorType::Status(status)) => {
                labels.push(Label::new(ERROR_TYPE, status.to_string()));
            }
            Some(ErrorType::Other) => labels.push(Label::new(ERROR_TYPE, OTHER)),
            None => {}
        }
        labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(outcome: Outcome) -> Vec<(String, String)> {
        let method = method_index(&Method::GET);
        HttpLabels::new(
            &Attributes::default(),
            method,
            Scheme::Http,
            Some("/a"),
            outcome,
        )
        .labels()
        .iter()
        .map(|l| (l.key().to_owned(), l.value().to_owned()))
        .collect()
    }

    #[test]
    fn every_semconv_method_keeps_its_name_and_others_become_other() {
        for name in &METHODS[..9] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(METHODS[usize::from(method_index(&method))], *name);
        }
        let made_up = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(METHODS[usize::from(method_index(&made_up))], OTHER);
    }

    #[test]
    fn scheme_comes_from_the_uri_or_the_default() {
        let absolute: Uri = "https://example.com/a".parse().unwrap();
        let origin: Uri = "/a".parse().unwrap();
        let odd: Uri = "ftp://example.com/a".parse().unwrap();
        assert_eq!(scheme(&absolute, Scheme::Http), Scheme::Https);
        assert_eq!(scheme(&origin, Scheme::Https), Scheme::Https);
        assert_eq!(scheme(&odd, Scheme::Http), Scheme::Http);
    }

    #[test]
    fn error_type_only_on_server_errors_and_failures() {
        let has_error = |outcome| labels(outcome).iter().any(|(k, _)| k == ERROR_TYPE);
        assert!(!has_error(Outcome::Status(StatusCode::OK)));
        assert!(!has_error(Outcome::Status(StatusCode::NOT_FOUND)));
        assert!(
            labels(Outcome::Status(StatusCode::BAD_GATEWAY))
                .contains(&(ERROR_TYPE.into(), "502".into()))
        );
        let failed = labels(Outcome::Error);
        assert!(failed.contains(&(ERROR_TYPE.into(), OTHER.into())));
        assert!(!failed.iter().any(|(k, _)| k == HTTP_RESPONSE_STATUS_CODE));
    }

    #[test]
    fn disabled_attributes_are_left_out() {
        let attributes = Attributes {
            url_scheme: false,
            http_route: false,
            status_code: false,
            error_type: false,
        };
        let set = HttpLabels::new(&attributes, 2, Scheme::Http, Some("/a"), Outcome::Error);
        let keys: Vec<_> = set.labels().iter().map(|l| l.key().to_owned()).collect();
        assert_eq!(keys, [HTTP_REQUEST_METHOD]);
    }

    #[test]
    fn equal_label_sets_hash_alike_and_each_attribute_changes_the_hash() {
        use std::hash::BuildHasher;
        let hasher = foldhash::fast::FixedState::with_seed(7);
        let all = Attributes::default();
        let ok = Outcome::Status(StatusCode::OK);
        let set = |method, scheme, route, outcome| {
            hasher.hash_one(HttpLabels::new(&all, method, scheme, route, outcome))
        };
        let base = set(2, Scheme::Http, Some("/users/{id}"), ok);
        let owned_route = String::from("/users/{id}");
        assert_eq!(base, set(2, Scheme::Http, Some(owned_route.as_str()), ok));
        let others = [
            set(6, Scheme::Http, Some("/users/{id}"), ok),
            set(2, Scheme::Https, Some("/users/{id}"), ok),
            set(2, Scheme::Http, Some("/users/{ix}"), ok),
            set(2, Scheme::Http, None, ok),
            set(
                2,
                Scheme::Http,
                Some("/users/{id}"),
                Outcome::Status(StatusCode::CREATED),
            ),
            set(2, Scheme::Http, Some("/users/{id}"), Outcome::Error),
        ];
        for other in others {
            assert_ne!(base, other);
        }
    }
}
