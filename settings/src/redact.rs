//! Which values are secrets, and how they are hidden.

use toml::Value;

/// What a secret prints as.
pub const REDACTED: &str = "[redacted]";

/// Key names whose values are secrets wherever they appear.
const SECRET_KEYS: &[&str] = &["password", "secret", "token", "routing_key", "api_key"];

/// Endings of key names whose values are secrets (`redis_password`, `client_secret`).
const SECRET_SUFFIXES: &[&str] = &["_password", "_secret", "_api_key"];

/// True when the key path ends in a key that holds a secret.
pub(crate) fn is_secret(path: &[String]) -> bool {
    path.last().is_some_and(|key| {
        SECRET_KEYS.contains(&key.as_str()) || SECRET_SUFFIXES.iter().any(|s| key.ends_with(s))
    })
}

/// Renders a value for a person: secrets hidden, and the password of a URL with credentials
/// (`redis://user:pw@host`) masked too.
pub(crate) fn display_value(path: &[String], value: &Value) -> String {
    if is_secret(path) {
        return REDACTED.to_owned();
    }
    match value {
        Value::String(text) => Value::String(mask_url_password(text)).to_string(),
        other => other.to_string(),
    }
}

/// `scheme://user:password@host…` with the password replaced.
pub(crate) fn mask_url_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let rest = &text[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return text.to_owned();
    };
    let Some(colon) = rest[..at].find(':') else {
        return text.to_owned();
    };
    format!(
        "{}{}{REDACTED}{}",
        &text[..scheme_end + 3],
        &rest[..=colon],
        &rest[at..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_url_passwords_are_hidden() {
        let path = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert!(is_secret(&path("redis.password")));
        assert!(is_secret(&path("incidents.pagerduty.routing_key")));
        assert!(!is_secret(&path("idempotency.max_key_len")));
        assert!(!is_secret(&path("idempotency.accept_bare_token")));
        assert!(is_secret(&path("upstream.client_secret")));
        let url = Value::String("redis://app:s3cret@cache:6379/0".into());
        let shown = display_value(&path("redis.url"), &url);
        assert_eq!(shown, "\"redis://app:[redacted]@cache:6379/0\"");
        assert_eq!(
            mask_url_password("redis://cache:6379"),
            "redis://cache:6379"
        );
        assert_eq!(
            mask_url_password("redis://user@cache"),
            "redis://user@cache"
        );
    }
}
