//! The `payments.Payments` service, written by hand as tonic's code generator would emit it.

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::body::Body;
use tonic::server::{Grpc, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;
use tower::Service;

use crate::{CreatePayment, Ledger, Payment};

/// The path of the one method, `Create`.
pub const CREATE_PATH: &str = "/payments.Payments/Create";

/// The gRPC service: routes `Create` to its handler, answers UNIMPLEMENTED to anything else.
#[derive(Debug, Clone)]
pub struct Payments {
    ledger: Ledger,
}

impl Payments {
    /// The service, recording its payments in `ledger`.
    pub fn new(ledger: Ledger) -> Self {
        Self { ledger }
    }
}

impl Service<http::Request<Body>> for Payments {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != CREATE_PATH {
            let path = request.uri().path().to_owned();
            return Box::pin(async move {
                Ok(Status::unimplemented(format!("no method at {path}")).into_http())
            });
        }
        let create = Create(self.ledger.clone());
        Box::pin(async move {
            let mut grpc = Grpc::new(ProstCodec::<Payment, CreatePayment>::default());
            Ok(grpc.unary(create, request).await)
        })
    }
}

/// The handler of `Create`: charges once per call, so it is not idempotent by itself.
struct Create(Ledger);

impl UnaryService<CreatePayment> for Create {
    type Response = Payment;
    type Future = Ready<Result<Response<Payment>, Status>>;

    fn call(&mut self, request: Request<CreatePayment>) -> Self::Future {
        let amount_cents = request.get_ref().amount_cents;
        let id = self.0.charge();
        ready(Ok(Response::new(Payment { id, amount_cents })))
    }
}
