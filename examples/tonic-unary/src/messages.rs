//! The messages of `proto/payments.proto`, written by hand as prost would generate them.

/// The request of `payments.Payments/Create`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct CreatePayment {
    /// What to charge, in cents.
    #[prost(uint64, tag = "1")]
    pub amount_cents: u64,
}

/// The response of `payments.Payments/Create`: the payment made.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Payment {
    /// Its number, counting from 1 in this process.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// What was charged, in cents.
    #[prost(uint64, tag = "2")]
    pub amount_cents: u64,
}
