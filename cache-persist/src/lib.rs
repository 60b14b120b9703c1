//! `cache-persist`: arrives with its issue.
