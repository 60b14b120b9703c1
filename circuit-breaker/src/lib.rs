//! `circuit-breaker`: arrives with its issue.
