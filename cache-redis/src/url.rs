//! A Redis URL that is guaranteed to carry no password, so it can be printed and serialized.

use std::fmt;

use redis::{ConnectionInfo, IntoConnectionInfo};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::ConfigError;

/// A `redis://`, `rediss://` or `redis+unix://` URL without a password.
///
/// Construction refuses a URL that carries a password (in the user-info part, or as the `pass`
/// query parameter of a socket URL), without repeating it in the error: the password belongs in
/// [`RedisConfig::password`](crate::RedisConfig::password).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedisUrl(String);

impl RedisUrl {
    /// Parses `url`, refusing one that carries a password.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let parsed = redis::parse_redis_url(url).ok_or_else(not_a_redis_url)?;
        if parsed.password().is_some() || parsed.query_pairs().any(|(name, _)| name == "pass") {
            return Err(ConfigError::invalid(
                "url",
                "a Redis URL must not carry a password: set the `password` field instead",
            ));
        }
        Ok(Self(url.to_owned()))
    }

    /// Splits the password, if any, out of `url`.
    pub(crate) fn split_password(url: &str) -> Result<(Self, Option<SecretString>), ConfigError> {
        let mut parsed = redis::parse_redis_url(url).ok_or_else(not_a_redis_url)?;
        let Some(_) = parsed.password() else {
            return Ok((Self::parse(url)?, None));
        };
        // The client decodes the percent-encoding; reading the password back from it avoids a
        // second decoder here.
        let info = url.into_connection_info().map_err(|_| not_a_redis_url())?;
        let password = info.redis_settings().password().map(SecretString::from);
        parsed.set_password(None).map_err(|()| not_a_redis_url())?;
        Ok((Self::parse(parsed.as_str())?, password))
    }

    /// The URL as text (it holds no password).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `rediss://` (TLS) URLs.
    pub fn is_tls(&self) -> bool {
        redis::parse_redis_url(&self.0)
            .is_some_and(|url| matches!(url.scheme(), "rediss" | "valkeys"))
    }

    /// Checks what only a build can know: whether TLS is compiled in for `rediss://`.
    pub(crate) fn validate(&self, field: &'static str) -> Result<(), ConfigError> {
        if self.is_tls() && !cfg!(feature = "tls") {
            return Err(ConfigError::invalid(
                field,
                "`rediss://` needs cache-redis built with its `tls` feature",
            ));
        }
        self.connection_info(field).map(drop)
    }

    /// What the client needs to connect, without credentials beyond the user name.
    pub(crate) fn connection_info(
        &self,
        field: &'static str,
    ) -> Result<ConnectionInfo, ConfigError> {
        self.0
            .as_str()
            .into_connection_info()
            .map_err(|err| ConfigError::invalid(field, err.to_string()))
    }
}

fn not_a_redis_url() -> ConfigError {
    ConfigError::invalid(
        "url",
        "not a Redis URL: expected redis://host[:port][/db], rediss://… or redis+unix:///path",
    )
}

impl Default for RedisUrl {
    fn default() -> Self {
        Self("redis://127.0.0.1:6379".to_owned())
    }
}

impl TryFrom<String> for RedisUrl {
    type Error = ConfigError;

    fn try_from(url: String) -> Result<Self, Self::Error> {
        Self::parse(&url)
    }
}

impl From<RedisUrl> for String {
    fn from(url: RedisUrl) -> Self {
        url.0
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn accepts_the_usual_forms() {
        for url in [
            "redis://127.0.0.1",
            "redis://user@cache.internal:6380/3",
            "rediss://cache.internal:6380",
            "redis+unix:///run/redis.sock?db=2",
        ] {
            assert_eq!(RedisUrl::parse(url).unwrap().as_str(), url);
        }
    }

    #[test]
    fn refuses_passwords_and_other_schemes_without_echoing_them() {
        for url in [
            "redis://:pw-42@h",
            "redis://u:pw-42@h",
            "redis+unix:///s?pass=pw-42",
        ] {
            let err = RedisUrl::parse(url).unwrap_err().to_string();
            assert!(err.contains("password"), "{err}");
            assert!(!err.contains("pw-42"), "{err}");
        }
        assert!(RedisUrl::parse("http://h").is_err());
        assert!(RedisUrl::parse("not a url").is_err());
    }

    #[test]
    fn splits_a_percent_encoded_password_out() {
        let (url, password) = RedisUrl::split_password("redis://app:p%40ss@h:1/2").unwrap();
        assert_eq!(url.as_str(), "redis://app@h:1/2");
        assert_eq!(password.unwrap().expose_secret(), "p@ss");
        let (url, password) = RedisUrl::split_password("redis://h").unwrap();
        assert_eq!(url.as_str(), "redis://h");
        assert!(password.is_none());
    }

    #[test]
    fn database_and_user_come_from_the_url() {
        let info = RedisUrl::parse("redis://app@h:7/5")
            .unwrap()
            .connection_info("url")
            .unwrap();
        assert_eq!(info.redis_settings().db(), 5);
        assert_eq!(info.redis_settings().username(), Some("app"));
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_urls_need_the_feature() {
        let err = RedisUrl::parse("rediss://h").unwrap().validate("url");
        assert!(err.unwrap_err().to_string().contains("tls"));
    }
}
