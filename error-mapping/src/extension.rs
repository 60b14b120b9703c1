//! RFC 9457 §3.2's rules for the names of extension members.

use thiserror::Error;

/// The members a problem body defines itself, which no extension may replace: RFC 9457's five,
/// and the `request_id` the error-mapping layer writes.
const RESERVED: [&str; 6] = [
    "type",
    "title",
    "status",
    "detail",
    "instance",
    "request_id",
];

/// Why a name cannot be an extension member of a problem.
///
/// RFC 9457 §3.2 asks that extension names start with an ASCII letter, use only ASCII letters,
/// digits and `_`, and be at least three characters long, so every client language can bind them
/// to a field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExtensionNameError {
    /// The name is one of the body's own members.
    #[error("problem extension `{0}` is reserved: the body already has a member of that name")]
    Reserved(String),
    /// The name has fewer than three characters.
    #[error("problem extension `{0}` is too short: RFC 9457 asks for three characters or more")]
    TooShort(String),
    /// The name does not start with an ASCII letter.
    #[error("problem extension `{0}` must start with an ASCII letter")]
    BadStart(String),
    /// The name holds a character other than an ASCII letter, digit or `_`.
    #[error(
        "problem extension `{name}` holds {found:?}: only ASCII letters, digits and `_` are allowed"
    )]
    BadCharacter {
        /// The rejected name.
        name: String,
        /// The first character not allowed.
        found: char,
    },
}

/// Checks `name` against RFC 9457's rules and the reserved members.
pub(crate) fn validate_extension_name(name: &str) -> Result<(), ExtensionNameError> {
    if RESERVED.contains(&name) {
        return Err(ExtensionNameError::Reserved(name.to_owned()));
    }
    if let Some(found) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(ExtensionNameError::BadCharacter {
            name: name.to_owned(),
            found,
        });
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(ExtensionNameError::BadStart(name.to_owned()));
    }
    if name.len() < 3 {
        return Err(ExtensionNameError::TooShort(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_a_client_can_bind() {
        for name in ["balance", "retry_in", "x_1", "Accounts2"] {
            assert_eq!(validate_extension_name(name), Ok(()), "{name}");
        }
    }

    type Check = fn(&ExtensionNameError) -> bool;

    #[test]
    fn rejects_each_broken_rule_by_name() {
        let cases: [(&str, Check); 7] = [
            ("status", |e| matches!(e, ExtensionNameError::Reserved(_))),
            ("request_id", |e| {
                matches!(e, ExtensionNameError::Reserved(_))
            }),
            ("ab", |e| matches!(e, ExtensionNameError::TooShort(_))),
            ("", |e| matches!(e, ExtensionNameError::BadStart(_))),
            ("_private", |e| matches!(e, ExtensionNameError::BadStart(_))),
            ("9lives", |e| matches!(e, ExtensionNameError::BadStart(_))),
            ("retry-in", |e| {
                matches!(e, ExtensionNameError::BadCharacter { found: '-', .. })
            }),
        ];
        for (name, expected) in cases {
            let error = validate_extension_name(name).unwrap_err();
            assert!(expected(&error), "{name}: {error:?}");
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn non_ascii_letters_are_rejected() {
        let error = validate_extension_name("café").unwrap_err();
        assert_eq!(
            error,
            ExtensionNameError::BadCharacter {
                name: "café".into(),
                found: 'é'
            }
        );
    }
}
