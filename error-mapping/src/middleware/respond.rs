//! What the service does around the inner one: pick the request id, and turn each outcome into
//! the response the client gets.

use std::any::Any;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderName, Request, Response, StatusCode};
use http_body::Body;

use crate::carried::CarriedProblem;
use crate::log::{self, Cause};
use crate::render::Wire;
use crate::request_id::IdGenerator;
use crate::{BoxError, GrpcCode, Problem, ProblemRegistry, RequestId, ResponseBody};

/// How a request ended, before the client is answered.
pub(super) enum Outcome<B> {
    Response(Response<B>),
    Error(BoxError),
    Panic(Box<dyn Any + Send>),
}

/// The configuration of one [`ErrorMapping`](crate::ErrorMapping), shared by its clones.
#[derive(Debug)]
pub(super) struct Responder {
    pub(super) header: HeaderName,
    pub(super) max_len: usize,
    pub(super) rewrite_bare_responses: bool,
    pub(super) registry: ProblemRegistry,
    pub(super) generator: IdGenerator,
}

impl Responder {
    /// The client's id when it is valid, else a fresh one. A fresh id replaces an invalid one
    /// in the request's header, so the services inside never see an id the logs do not hold;
    /// when the client sent none, the id travels in the request's extensions only.
    pub(super) fn request_id<B>(&self, request: &mut Request<B>) -> RequestId {
        let Some(supplied) = request.headers().get(&self.header) else {
            return self.generator.next_id();
        };
        if let Some(id) = RequestId::parse(supplied, self.max_len) {
            return id;
        }
        let id = self.generator.next_id();
        request
            .headers_mut()
            .insert(&self.header, id.header_value().clone());
        id
    }

    /// The response for `outcome`, with the request id in its header.
    pub(super) fn respond<B: Body>(
        &self,
        outcome: Outcome<B>,
        request_id: RequestId,
        wire: Wire,
    ) -> Response<ResponseBody<B>> {
        match outcome {
            Outcome::Response(response) => self.pass(response, request_id, wire),
            Outcome::Error(error) => {
                let problem = self.registry.problem_for(&*error);
                log::mapped(&problem, &request_id, Cause::Error(&*error));
                self.render(&problem, request_id, wire)
            }
            Outcome::Panic(payload) => {
                let problem = Problem::new(StatusCode::INTERNAL_SERVER_ERROR);
                log::mapped(&problem, &request_id, Cause::Panic(&*payload));
                self.render(&problem, request_id, wire)
            }
        }
    }

    /// The inner response, unless it carries a problem to render or is a bare error.
    fn pass<B: Body>(
        &self,
        mut response: Response<B>,
        request_id: RequestId,
        wire: Wire,
    ) -> Response<ResponseBody<B>> {
        if let Some(CarriedProblem(error)) = response.extensions_mut().remove() {
            log::mapped(error.problem(), &request_id, Cause::Error(&*error));
            return self.render(error.problem(), request_id, wire);
        }
        if self.rewrite_bare_responses && is_bare(&response) {
            let problem = bare_problem(response.status(), wire);
            log::mapped(&problem, &request_id, Cause::BareResponse);
            let (parts, _) = response.into_parts();
            let mut rendered = self.render(&problem, request_id, wire);
            for (name, value) in &parts.headers {
                if name != CONTENT_LENGTH && !rendered.headers().contains_key(name) {
                    rendered.headers_mut().append(name, value.clone());
                }
            }
            *rendered.extensions_mut() = parts.extensions;
            return rendered;
        }
        response
            .headers_mut()
            .insert(&self.header, request_id.into_header_value());
        response.map(ResponseBody::inner)
    }

    fn render<B>(
        &self,
        problem: &Problem,
        request_id: RequestId,
        wire: Wire,
    ) -> Response<ResponseBody<B>> {
        let mut response = wire.render(problem, &request_id).map(ResponseBody::problem);
        response
            .headers_mut()
            .insert(&self.header, request_id.into_header_value());
        response
    }
}

/// The problem of a bare error response. A gRPC client calling a method the server does not
/// route gets `UNIMPLEMENTED`, as gRPC servers answer, rather than the `NOT_FOUND` of a 404.
fn bare_problem(status: StatusCode, wire: Wire) -> Problem {
    let problem = Problem::new(status);
    match (wire, status) {
        (Wire::Grpc, StatusCode::NOT_FOUND) => problem.with_grpc_code(GrpcCode::Unimplemented),
        _ => problem,
    }
}

/// An error status with an empty body and no content type: what routers answer for an unknown
/// path or method.
fn is_bare<B: Body>(response: &Response<B>) -> bool {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        && !response.headers().contains_key(CONTENT_TYPE)
        && response.body().size_hint().exact() == Some(0)
}
