//! The RFC 9457 problem type, and the trait an error implements to become one.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value};

use crate::extension::{ExtensionNameError, validate_extension_name};
use crate::grpc::GrpcCode;

/// A boxed error, as tower services return them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An RFC 9457 problem: what a client is told about a failure.
///
/// Built with [`Problem::new`] and the `with_*` methods; rendered as
/// `application/problem+json` by the error-mapping layer.
///
/// ```
/// use error_mapping::Problem;
/// use http::StatusCode;
///
/// let problem = Problem::new(StatusCode::CONFLICT)
///     .with_type("https://resync.dev/problems/idempotency/in-flight")
///     .with_title("Request in flight")
///     .with_detail("a request with this Idempotency-Key is still being processed");
/// assert_eq!(problem.status(), StatusCode::CONFLICT);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    status: StatusCode,
    type_uri: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: Option<Cow<'static, str>>,
    instance: Option<String>,
    extensions: Map<String, Value>,
    headers: HeaderMap,
    grpc_code: Option<GrpcCode>,
}

impl Problem {
    /// A problem of type `about:blank` whose title is the status's reason phrase.
    pub fn new(status: StatusCode) -> Self {
        Self {
            status,
            type_uri: Cow::Borrowed("about:blank"),
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Unknown Status")),
            detail: None,
            instance: None,
            extensions: Map::new(),
            headers: HeaderMap::new(),
            grpc_code: None,
        }
    }

    /// Sets the `type` URI that identifies this kind of problem.
    pub fn with_type(mut self, type_uri: impl Into<Cow<'static, str>>) -> Self {
        self.type_uri = type_uri.into();
        self
    }

    /// Sets the short, human-readable summary of this kind of problem.
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the explanation specific to this occurrence.
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Sets the URI reference that identifies this occurrence.
    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    /// Adds an extension member to the body.
    ///
    /// # Panics
    ///
    /// When `name` breaks RFC 9457's rules for extension names (see [`ExtensionNameError`]):
    /// names are written in code, so a bad one is a bug to catch in the first test that builds
    /// the problem. [`Problem::try_with_extension`] returns the error instead.
    pub fn with_extension(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        match self.try_with_extension(name, value) {
            Ok(problem) => problem,
            Err(error) => panic!("{error}"),
        }
    }

    /// Adds an extension member to the body, or says why its name is not allowed.
    ///
    /// ```
    /// use error_mapping::Problem;
    /// use http::StatusCode;
    ///
    /// let problem = Problem::new(StatusCode::CONFLICT);
    /// assert!(problem.clone().try_with_extension("fingerprint", "ab12").is_ok());
    /// assert!(problem.try_with_extension("status", 200).is_err());
    /// ```
    pub fn try_with_extension(
        mut self,
        name: impl Into<String>,
        value: impl Into<Value>,
    ) -> Result<Self, ExtensionNameError> {
        let name = name.into();
        validate_extension_name(&name)?;
        self.extensions.insert(name, value.into());
        Ok(self)
    }

    /// Sets the gRPC code a tonic client sees, when the HTTP status alone would choose another
    /// (see [`GrpcCode::from_http_status`] for the code chosen otherwise).
    pub fn with_grpc_code(mut self, code: GrpcCode) -> Self {
        self.grpc_code = Some(code);
        self
    }

    /// Adds a `Retry-After` header of `delay`, in whole seconds rounded up (RFC 9110 §10.2.3).
    pub fn with_retry_after(self, delay: Duration) -> Self {
        let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        self.with_header(http::header::RETRY_AFTER, HeaderValue::from(seconds))
    }

    /// Adds a header to the response (e.g. `Retry-After`).
    pub fn with_header(mut self, name: http::HeaderName, value: http::HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The HTTP status, equal to the body's `status` member.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `type` URI.
    pub fn type_uri(&self) -> &str {
        &self.type_uri
    }

    /// The `title`.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The `detail`, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The `instance`, if any.
    pub fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }

    /// The extension members.
    pub fn extensions(&self) -> &Map<String, Value> {
        &self.extensions
    }

    /// The headers the response carries besides the body's.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The delay of the `Retry-After` header, when it is given in seconds.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(http::header::RETRY_AFTER)?;
        let seconds = value.to_str().ok()?.parse().ok()?;
        Some(Duration::from_secs(seconds))
    }

    /// The gRPC code: the one set by [`Problem::with_grpc_code`], else the one the HTTP status
    /// maps to.
    pub fn grpc_code(&self) -> GrpcCode {
        self.grpc_code
            .unwrap_or_else(|| GrpcCode::from_http_status(self.status))
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// An error that knows which [`Problem`] it is.
///
/// Every error of this workspace implements it; the layers above box a [`ProblemError`] so the
/// outermost layer can render it without knowing the concrete type.
pub trait IntoProblem {
    /// The problem a client is shown for this error.
    fn to_problem(&self) -> Problem;

    /// The gRPC code a tonic client is shown for this error: by default the problem's.
    fn grpc_code(&self) -> GrpcCode {
        self.to_problem().grpc_code()
    }
}

impl IntoProblem for Problem {
    fn to_problem(&self) -> Problem {
        self.clone()
    }
}

/// A concrete error that carries its [`Problem`], and optionally the error that caused it.
///
/// Layers return it boxed in their `BoxError`; the error-mapping layer downcasts to it first.
#[derive(Debug)]
pub struct ProblemError {
    problem: Problem,
    source: Option<BoxError>,
}

impl ProblemError {
    /// An error that is exactly `problem`.
    pub fn new(problem: Problem) -> Self {
        Self {
            problem,
            source: None,
        }
    }

    /// An error shown as `problem`, caused by `source` (which is logged, never shown on a 5xx).
    pub fn with_source(problem: Problem, source: impl Into<BoxError>) -> Self {
        Self {
            problem,
            source: Some(source.into()),
        }
    }

    /// The problem to render.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl<E: IntoProblem + std::error::Error + Send + Sync + 'static> From<E> for ProblemError {
    fn from(error: E) -> Self {
        Self::with_source(error.to_problem(), error)
    }
}

impl fmt::Display for ProblemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.problem, f)
    }
}

impl std::error::Error for ProblemError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
