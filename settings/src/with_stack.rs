//! An application's own configuration beside the stack's, in one document.

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use toml::Table;

use crate::layers::merge_tables;
use crate::{Configuration, Invalid, Profile, StackConfig};

/// The stack's sections and an application's own (`[server]`, say) in one document, each
/// section at the top level: `RESYNC_IDEMPOTENCY__LEASE` and `RESYNC_SERVER__PORT` alike.
///
/// Unlike `#[serde(flatten)]`, every error keeps its exact key path, and the application's type
/// may deny unknown fields (which then catches a misspelled section name too).
///
/// ```
/// use std::collections::BTreeMap;
/// use serde::{Deserialize, Serialize};
/// use settings::{Configuration, Loader, WithStack};
///
/// #[derive(Debug, Default, Deserialize, Serialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Server { port: u16 }
///
/// #[derive(Debug, Default, Deserialize, Serialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Demo { server: Server }
/// impl Configuration for Demo {}
///
/// let env = BTreeMap::from([
///     ("RESYNC_SERVER__PORT".to_owned(), "8080".to_owned()),
///     ("RESYNC_IDEMPOTENCY__LEASE".to_owned(), "90s".to_owned()),
/// ]);
/// let loaded = Loader::with_env(env).load::<WithStack<Demo>>()?;
/// assert_eq!(loaded.config().app.server.port, 8080);
/// assert_eq!(loaded.config().stack.idempotency.lease.as_secs(), 90);
/// # Ok::<(), settings::SettingsError>(())
/// ```
#[derive(Debug, Clone, Default, Serialize)]
pub struct WithStack<A> {
    /// The stack's sections.
    #[serde(flatten)]
    pub stack: StackConfig,
    /// The application's own sections.
    #[serde(flatten)]
    pub app: A,
}

impl<A: Configuration> Configuration for WithStack<A> {
    fn profile_defaults(profile: Profile) -> Table {
        let mut table = StackConfig::profile_defaults(profile);
        merge_tables(&mut table, A::profile_defaults(profile));
        table
    }

    fn validate(&self) -> Vec<Invalid> {
        let mut invalid = self.stack.validate();
        invalid.extend(self.app.validate());
        invalid
    }
}

impl<'de, A: Deserialize<'de>> Deserialize<'de> for WithStack<A> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WithStackVisitor(PhantomData))
    }
}

struct WithStackVisitor<A>(PhantomData<A>);

impl<'de, A: Deserialize<'de>> Visitor<'de> for WithStackVisitor<A> {
    type Value = WithStack<A>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a configuration document")
    }

    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Self::Value, M::Error> {
        let mut stack = StackConfig::default();
        let app = A::deserialize(MapAccessDeserializer::new(StackSplitter {
            map,
            stack: &mut stack,
        }))?;
        Ok(WithStack { stack, app })
    }
}

/// A value that fails to deserialize with a given message.
struct Fail(String);

impl<'de> DeserializeSeed<'de> for Fail {
    type Value = Infallible;

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Infallible, D::Error> {
        Err(serde::de::Error::custom(self.0))
    }
}

/// Hands the application's type every entry but the stack's sections, which it reads into the
/// stack as they pass: each value is read from the original map, so error paths stay exact.
struct StackSplitter<'a, M> {
    map: M,
    stack: &'a mut StackConfig,
}

impl<'de, M: MapAccess<'de>> MapAccess<'de> for StackSplitter<'_, M> {
    type Error = M::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, M::Error> {
        while let Some(key) = self.map.next_key::<String>()? {
            let stack = &mut *self.stack;
            match key.as_str() {
                "cache" => stack.cache = self.map.next_value()?,
                "persist" => stack.persist = self.map.next_value()?,
                "redis" => stack.redis = self.map.next_value()?,
                "idempotency" => stack.idempotency = self.map.next_value()?,
                "error_mapping" => stack.error_mapping = self.map.next_value()?,
                "circuit_breaker" => stack.circuit_breaker = self.map.next_value()?,
                "incidents" => stack.incidents = self.map.next_value()?,
                "profiling" => stack.profiling = self.map.next_value()?,
                _ => {
                    return match seed.deserialize(IntoDeserializer::<M::Error>::into_deserializer(
                        key.as_str(),
                    )) {
                        Ok(key) => Ok(Some(key)),
                        // Raised again while reading the entry's value, so that the error's
                        // path names the key (an unknown section, say).
                        Err(err) => self
                            .map
                            .next_value_seed(Fail(err.to_string()))
                            .map(|n| match n {}),
                    };
                }
            }
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, M::Error> {
        self.map.next_value_seed(seed)
    }
}
