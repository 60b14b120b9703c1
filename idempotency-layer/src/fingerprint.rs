//! The request fingerprint: an xxh3-128 hash of what makes two requests "the same request".

use http::HeaderName;
use http::request::Parts;
use xxhash_rust::xxh3::Xxh3Default;

/// A 128-bit fingerprint of a request: method, path (and optionally the query), the configured
/// headers and the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Fingerprint(pub(crate) [u8; 16]);

/// Which parts of a request go into its fingerprint.
#[derive(Debug, Clone)]
pub(crate) struct FingerprintRules {
    pub(crate) include_query: bool,
    pub(crate) headers: Vec<HeaderName>,
}

impl FingerprintRules {
    /// The fingerprint of a request whose head is `parts` and whose whole body is `body`.
    ///
    /// Every field is length-framed, so moving bytes from the path into the body (say) changes
    /// the fingerprint.
    pub(crate) fn fingerprint(&self, parts: &Parts, body: &[u8]) -> Fingerprint {
        let mut hasher = Xxh3Default::new();
        let mut field = |bytes: &[u8]| {
            hasher.update(&(bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(parts.method.as_str().as_bytes());
        field(parts.uri.path().as_bytes());
        if self.include_query {
            field(parts.uri.query().unwrap_or_default().as_bytes());
        }
        for name in &self.headers {
            field(name.as_str().as_bytes());
            for value in parts.headers.get_all(name) {
                field(value.as_bytes());
            }
        }
        field(body);
        Fingerprint(hasher.digest128().to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, tenant: Option<&str>) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        if let Some(tenant) = tenant {
            builder = builder.header("x-tenant", tenant);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn method_path_headers_and_body_all_count() {
        let rules = FingerprintRules {
            include_query: false,
            headers: vec![HeaderName::from_static("x-tenant")],
        };
        let base = rules.fingerprint(&parts("POST", "/orders?a=1", Some("t1")), b"{}");
        assert_eq!(
            base,
            rules.fingerprint(&parts("POST", "/orders?a=2", Some("t1")), b"{}")
        );
        for (other, body) in [
            (parts("PATCH", "/orders", Some("t1")), &b"{}"[..]),
            (parts("POST", "/orders/1", Some("t1")), b"{}"),
            (parts("POST", "/orders", Some("t2")), b"{}"),
            (parts("POST", "/orders", None), b"{}"),
            (parts("POST", "/orders", Some("t1")), b"{ }"),
        ] {
            assert_ne!(base, rules.fingerprint(&other, body));
        }
    }

    #[test]
    fn the_query_counts_when_configured() {
        let rules = FingerprintRules {
            include_query: true,
            headers: Vec::new(),
        };
        assert_ne!(
            rules.fingerprint(&parts("POST", "/o?a=1", None), b""),
            rules.fingerprint(&parts("POST", "/o?a=2", None), b"")
        );
    }
}
