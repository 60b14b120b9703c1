//! `incidents`: arrives with its issue.
