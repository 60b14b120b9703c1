//! One layered configuration for the resync-rs stack.
//!
//! Values come from five layers, the later winning:
//!
//! 1. the built-in defaults of each type (`Default`);
//! 2. the defaults of the [`Profile`] (`RESYNC_PROFILE`: `dev`, `test` or `prod`);
//! 3. a TOML file (a path handed to [`Loader::file`], else `RESYNC_CONFIG`);
//! 4. environment variables: `RESYNC_` then the key path with `__` between levels, so
//!    `RESYNC_IDEMPOTENCY__LEASE=90s` sets `lease` in the `[idempotency]` section;
//! 5. command-line flags the application hands to [`Loader::flag`].
//!
//! [`StackConfig`] holds every crate's own configuration type, one section each; an
//! application loads its own sections beside them with [`WithStack`].
//!
//! Every problem is collected and reported at once, each naming its source exactly: the
//! variable's literal name, or the file, line and key path, with the value (secrets redacted) and
//! what was expected.
//!
//! ```
//! use std::collections::BTreeMap;
//! use serde::{Deserialize, Serialize};
//! use settings::{Configuration, Invalid, Loader, Profile, Source};
//!
//! #[derive(Debug, Deserialize, Serialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct Server { port: u16, workers: usize }
//! impl Default for Server {
//!     fn default() -> Self { Self { port: 3000, workers: 4 } }
//! }
//!
//! #[derive(Debug, Default, Deserialize, Serialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct App { server: Server }
//!
//! impl Configuration for App {
//!     fn profile_defaults(profile: Profile) -> toml::Table {
//!         match profile {
//!             Profile::Prod => toml::from_str("[server]\nport = 80").unwrap(),
//!             _ => toml::Table::new(),
//!         }
//!     }
//!     fn validate(&self) -> Vec<Invalid> {
//!         if self.server.workers == 0 {
//!             return vec![Invalid::new("server.workers", "must be at least 1")];
//!         }
//!         Vec::new()
//!     }
//! }
//!
//! let env = BTreeMap::from([
//!     ("RESYNC_PROFILE".to_owned(), "prod".to_owned()),
//!     ("RESYNC_SERVER__WORKERS".to_owned(), "8".to_owned()),
//! ]);
//! let loaded = Loader::with_env(env).load::<App>()?;
//! assert_eq!(loaded.config().server.port, 80);
//! assert_eq!(loaded.source_of("server.port"), Source::Profile(Profile::Prod));
//! assert_eq!(loaded.config().server.workers, 8);
//! println!("{}", loaded.render());
//! # Ok::<(), settings::SettingsError>(())
//! ```

mod configuration;
mod env;
mod error;
mod file;
mod layers;
mod loaded;
mod loader;
mod profile;
mod redact;
mod source;
mod stack;
mod with_stack;

pub use configuration::{Configuration, Invalid};
pub use env::{CONFIG_VAR, PREFIX, PROFILE_VAR};
pub use error::{Issue, SettingsError};
pub use loaded::Loaded;
pub use loader::Loader;
pub use profile::{Profile, UnknownProfile};
pub use redact::REDACTED;
pub use source::Source;
pub use stack::{STACK_SECTIONS, StackConfig};
pub use with_stack::WithStack;
