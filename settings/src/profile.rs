//! The deployment profiles, which change the built-in defaults.

use std::fmt;
use std::str::FromStr;

/// Where the service runs; each profile has its own built-in defaults.
///
/// `Prod` is the strictest: tight input limits, strict recovery, stores that fail closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// A developer's machine: forgiving defaults.
    #[default]
    Dev,
    /// Automated tests: fast timings, defaults that surface mistakes.
    Test,
    /// Production: the strictest validation and the safest failure modes.
    Prod,
}

impl Profile {
    /// Every profile, in order of strictness.
    pub const ALL: [Profile; 3] = [Profile::Dev, Profile::Test, Profile::Prod];

    /// The profile's name as written in `RESYNC_PROFILE`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Dev => "dev",
            Profile::Test => "test",
            Profile::Prod => "prod",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that is none of `dev`, `test` or `prod`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile `{0}`, expected one of `dev`, `test` or `prod`")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownProfile(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for profile in Profile::ALL {
            assert_eq!(profile.name().parse::<Profile>(), Ok(profile));
        }
        assert_eq!("PROD".parse::<Profile>(), Ok(Profile::Prod));
        let err = "staging".parse::<Profile>().unwrap_err();
        assert!(err.to_string().contains("`staging`"));
    }
}
