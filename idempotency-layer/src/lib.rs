//! `idempotency-layer`: arrives with its issue.
