//! The mappings from errors the application does not own to problems.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use http::StatusCode;

use crate::{IntoProblem, Problem, ProblemError};

/// One typed mapping: a downcast to one concrete error type, then its problem.
type Mapping = Arc<dyn Fn(&(dyn Error + 'static)) -> Option<Problem> + Send + Sync>;

/// The mappings from errors to problems, tried along an error's `source()` chain.
///
/// For each error of the chain, outermost first, a [`ProblemError`] is taken as it is, then each
/// registered mapping is tried in the order of registration; the first that matches gives the
/// problem. An error nothing matches becomes a plain 500 whose body says nothing of the error
/// (its text is logged, never shown).
///
/// Stable Rust cannot downcast to a trait object, so an error type the application owns either
/// travels as a [`ProblemError`] or is registered here by its concrete type.
///
/// [`ProblemRegistry::new`] starts with the built-in mappings: with the `tower` feature, tower's
/// `timeout::error::Elapsed` is a 504 and `load_shed::error::Overloaded` a 503.
///
/// ```
/// use error_mapping::{Problem, ProblemRegistry};
/// use http::StatusCode;
///
/// let registry = ProblemRegistry::new().map(|_: &std::num::ParseIntError| {
///     Problem::new(StatusCode::BAD_REQUEST).with_detail("not a number")
/// });
/// let error = "x1".parse::<u32>().unwrap_err();
/// assert_eq!(registry.problem_for(&error).status(), StatusCode::BAD_REQUEST);
///
/// let unknown = std::io::Error::other("disk on fire at /var/db");
/// let problem = registry.problem_for(&unknown);
/// assert_eq!(problem.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// assert_eq!(problem.detail(), None);
/// ```
#[derive(Clone)]
pub struct ProblemRegistry {
    mappings: Vec<(&'static str, Mapping)>,
}

impl ProblemRegistry {
    /// A registry with the built-in mappings.
    pub fn new() -> Self {
        let registry = Self::empty();
        #[cfg(feature = "tower")]
        let registry = registry
            .map(|_: &tower::timeout::error::Elapsed| Problem::new(StatusCode::GATEWAY_TIMEOUT))
            .map(|_: &tower::load_shed::error::Overloaded| {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            });
        registry
    }

    /// A registry with no mapping at all: only [`ProblemError`]s and the default 500.
    pub fn empty() -> Self {
        Self {
            mappings: Vec::new(),
        }
    }

    /// Adds a mapping for errors of type `E`, tried after those registered before it.
    #[must_use]
    pub fn map<E, F>(mut self, to_problem: F) -> Self
    where
        E: Error + 'static,
        F: Fn(&E) -> Problem + Send + Sync + 'static,
    {
        let mapping: Mapping = Arc::new(move |error| error.downcast_ref::<E>().map(&to_problem));
        self.mappings.push((std::any::type_name::<E>(), mapping));
        self
    }

    /// Adds a mapping for errors of type `E` through their own [`IntoProblem`] impl.
    #[must_use]
    pub fn map_into_problem<E>(self) -> Self
    where
        E: Error + IntoProblem + 'static,
    {
        self.map(E::to_problem)
    }

    /// The problem for `error`: the first match along its chain, else a masked 500.
    pub fn problem_for(&self, error: &(dyn Error + 'static)) -> Problem {
        self.find(error)
            .unwrap_or_else(|| Problem::new(StatusCode::INTERNAL_SERVER_ERROR))
    }

    fn find(&self, error: &(dyn Error + 'static)) -> Option<Problem> {
        let mut link = Some(error);
        while let Some(error) = link {
            if let Some(known) = error.downcast_ref::<ProblemError>() {
                return Some(known.problem().clone());
            }
            if let Some(problem) = self.mappings.iter().find_map(|(_, map)| map(error)) {
                return Some(problem);
            }
            link = error.source();
        }
        None
    }
}

impl Default for ProblemRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ProblemRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProblemRegistry")
            .field(
                "mappings",
                &self
                    .mappings
                    .iter()
                    .map(|(name, _)| name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}
