//! Parsing the `Idempotency-Key` header: an RFC 8941 sf-string, or (when allowed) a bare token.

use std::borrow::Cow;

use http::HeaderMap;
use http::header::HeaderName;

/// Why an `Idempotency-Key` header was refused. Each case has its own problem `type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The request needs a key and carries none.
    #[error("the request requires an `{header}` header")]
    Missing {
        /// The header's name.
        header: HeaderName,
    },
    /// The header appears on more than one line.
    #[error("the `{header}` header appears {count} times; send it once")]
    Repeated {
        /// The header's name.
        header: HeaderName,
        /// How many lines carried it.
        count: usize,
    },
    /// The key is empty.
    #[error("the idempotency key is empty")]
    Empty,
    /// The key holds more characters than allowed.
    #[error("the idempotency key is {length} characters long; the limit is {limit}")]
    TooLong {
        /// The key's length once unescaped.
        length: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A byte outside printable ASCII (0x20-0x7E).
    #[error(
        "the idempotency key holds byte {byte:#04x} at offset {offset}; only 0x20-0x7E may appear"
    )]
    InvalidCharacter {
        /// The offending byte.
        byte: u8,
        /// Its offset in the header value.
        offset: usize,
    },
    /// More than one member, as in an sf-list (`"a", "b"`).
    #[error("the idempotency key must be a single sf-string, not a list")]
    List,
    /// Anything else that is not an sf-string (or an accepted bare token).
    #[error("the idempotency key is not a valid sf-string: {reason} (at offset {offset})")]
    Malformed {
        /// What was wrong.
        reason: &'static str,
        /// Where, in the header value.
        offset: usize,
    },
}

/// How keys are read, from the layer's configuration.
#[derive(Debug, Clone)]
pub(crate) struct KeyRules {
    pub(crate) header: HeaderName,
    pub(crate) accept_bare_token: bool,
    pub(crate) max_length: usize,
}

impl KeyRules {
    /// The client's key, `Ok(None)` when the header is absent.
    pub(crate) fn extract<'h>(
        &self,
        headers: &'h HeaderMap,
    ) -> Result<Option<Cow<'h, [u8]>>, KeyError> {
        let mut values = headers.get_all(&self.header).iter();
        let Some(value) = values.next() else {
            return Ok(None);
        };
        let extra = values.count();
        if extra > 0 {
            return Err(KeyError::Repeated {
                header: self.header.clone(),
                count: extra + 1,
            });
        }
        let key = parse(value.as_bytes(), self.accept_bare_token)?;
        if key.len() > self.max_length {
            return Err(KeyError::TooLong {
                length: key.len(),
                limit: self.max_length,
            });
        }
        Ok(Some(key))
    }
}

/// Parses one header value as RFC 8941 §4.2.5 prescribes, surrounding spaces discarded.
pub(crate) fn parse(value: &[u8], accept_bare_token: bool) -> Result<Cow<'_, [u8]>, KeyError> {
    // The common key, quoted with nothing to unescape nor trim, is checked in one pass.
    if let [b'"', key @ .., b'"'] = value
        && !key.is_empty()
        && key
            .iter()
            .all(|&b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
    {
        return Ok(Cow::Borrowed(key));
    }
    parse_any(value, accept_bare_token)
}

/// [`parse`] for any value, in passes that find and name what is wrong.
fn parse_any(value: &[u8], accept_bare_token: bool) -> Result<Cow<'_, [u8]>, KeyError> {
    if let Some(offset) = value.iter().position(|b| !(0x20..=0x7e).contains(b)) {
        return Err(KeyError::InvalidCharacter {
            byte: value[offset],
            offset,
        });
    }
    let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |i| i + 1);
    let trimmed = &value[start..end];
    match trimmed.first() {
        None => Err(KeyError::Empty),
        Some(b'"') => parse_sf_string(trimmed, start),
        Some(_) if accept_bare_token => parse_bare(trimmed, start),
        Some(_) => Err(KeyError::Malformed {
            reason: "expected a double-quoted sf-string",
            offset: start,
        }),
    }
}

fn parse_sf_string(input: &[u8], base: usize) -> Result<Cow<'_, [u8]>, KeyError> {
    let mut unescaped: Option<Vec<u8>> = None;
    let mut i = 1;
    while i < input.len() {
        match input[i] {
            b'\\' => {
                let Some(&next @ (b'"' | b'\\')) = input.get(i + 1) else {
                    return Err(KeyError::Malformed {
                        reason: "a backslash may only escape a quote or a backslash",
                        offset: base + i,
                    });
                };
                unescaped
                    .get_or_insert_with(|| input[1..i].to_vec())
                    .push(next);
                i += 2;
            }
            b'"' => {
                let rest = &input[i + 1..];
                if !rest.is_empty() {
                    let list = rest.iter().find(|&&b| b != b' ' && b != b'\t') == Some(&b',');
                    return Err(if list {
                        KeyError::List
                    } else {
                        KeyError::Malformed {
                            reason: "characters after the closing quote (an unescaped quote?)",
                            offset: base + i + 1,
                        }
                    });
                }
                let key = match unescaped {
                    Some(owned) => Cow::Owned(owned),
                    None => Cow::Borrowed(&input[1..i]),
                };
                return if key.is_empty() {
                    Err(KeyError::Empty)
                } else {
                    Ok(key)
                };
            }
            byte => {
                if let Some(owned) = unescaped.as_mut() {
                    owned.push(byte);
                }
                i += 1;
            }
        }
    }
    Err(KeyError::Malformed {
        reason: "no closing quote",
        offset: base + input.len(),
    })
}

/// A bare key: RFC 9110 token characters plus `:` and `/` (an sf-token's alphabet), with no
/// constraint on the first one, so UUIDs starting with a digit pass.
fn parse_bare(input: &[u8], base: usize) -> Result<Cow<'_, [u8]>, KeyError> {
    match input.iter().position(|&b| !is_bare_char(b)) {
        None => Ok(Cow::Borrowed(input)),
        Some(i) if input[i] == b',' => Err(KeyError::List),
        Some(i) => Err(KeyError::Malformed {
            reason: "a bare key may hold only token characters; quote it as an sf-string",
            offset: base + i,
        }),
    }
}

fn is_bare_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(value: &str) -> Vec<u8> {
        parse(value.as_bytes(), true).unwrap().into_owned()
    }

    #[test]
    fn sf_strings_unescape_and_borrow_when_they_can() {
        assert_eq!(ok(r#""abc""#), b"abc");
        assert_eq!(ok(r#"  "a b"  "#), b"a b");
        assert_eq!(ok(r#""say \"hi\" \\o/""#), br#"say "hi" \o/"#);
        assert!(matches!(
            parse(br#""plain""#, false).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    proptest::proptest! {
        #[test]
        fn the_one_pass_check_agrees_with_the_full_parser(
            inner in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
            bare in proptest::prelude::any::<bool>(),
        ) {
            let mut value = vec![b'"'];
            value.extend(inner.iter().map(|&b| b"ab\\\" ,\x7f\x01"[usize::from(b) % 8]));
            value.push(b'"');
            proptest::prop_assert_eq!(parse(&value, bare), parse_any(&value, bare));
        }
    }

    #[test]
    fn bare_tokens_pass_only_when_allowed() {
        assert_eq!(
            ok("8e03978e-40d5-43e8-bc93-6894a57f9324"),
            b"8e03978e-40d5-43e8-bc93-6894a57f9324"
        );
        assert!(matches!(
            parse(b"abc", false),
            Err(KeyError::Malformed { .. })
        ));
    }

    #[test]
    fn malformed_values_name_the_offset() {
        assert_eq!(
            parse(br#""ab\c""#, true),
            Err(KeyError::Malformed {
                reason: "a backslash may only escape a quote or a backslash",
                offset: 3
            })
        );
        assert_eq!(parse(br#""a", "b""#, true), Err(KeyError::List));
        assert_eq!(parse(b"a,b", true), Err(KeyError::List));
        assert_eq!(parse(br#""""#, true), Err(KeyError::Empty));
        assert_eq!(parse(b"   ", true), Err(KeyError::Empty));
    }

    #[test]
    fn headers_on_two_lines_and_long_keys_are_refused() {
        let rules = KeyRules {
            header: HeaderName::from_static("idempotency-key"),
            accept_bare_token: true,
            max_length: 4,
        };
        let mut headers = HeaderMap::new();
        assert_eq!(rules.extract(&headers), Ok(None));
        headers.append(&rules.header, "\"abcd\"".parse().unwrap());
        assert_eq!(rules.extract(&headers).unwrap().unwrap().as_ref(), b"abcd");
        headers.insert(&rules.header, "\"abcde\"".parse().unwrap());
        assert_eq!(
            rules.extract(&headers),
            Err(KeyError::TooLong {
                length: 5,
                limit: 4
            })
        );
        headers.append(&rules.header, "\"x\"".parse().unwrap());
        assert!(matches!(
            rules.extract(&headers),
            Err(KeyError::Repeated { count: 2, .. })
        ));
    }
}
