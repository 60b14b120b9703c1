//! `profiling`: arrives with its issue.
