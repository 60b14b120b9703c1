//! The route template of a request, when the router put one in its extensions.

use http::Extensions;

/// The template that matched (`/users/{id}`), from axum's `MatchedPath`; never the raw path.
#[cfg(feature = "axum")]
#[derive(Debug, Clone)]
pub(crate) struct Route(Option<axum::extract::MatchedPath>);

#[cfg(feature = "axum")]
impl Route {
    pub(crate) fn of(extensions: &Extensions) -> Self {
        Self(extensions.get().cloned())
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        self.0.as_ref().map(|path| path.as_str())
    }
}

/// Without a router that names its templates, no route is recorded.
#[cfg(not(feature = "axum"))]
#[derive(Debug, Clone)]
pub(crate) struct Route;

#[cfg(not(feature = "axum"))]
impl Route {
    pub(crate) fn of(_: &Extensions) -> Self {
        Self
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        None
    }
}
