//! `cache-redis`: arrives with its issue.
