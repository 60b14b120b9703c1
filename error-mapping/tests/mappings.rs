//! Every mapping from an error to a problem, over both wires: status, type, title and gRPC code.

mod support;

use std::error::Error;
use std::fmt;

use error_mapping::{
    BoxError, ErrorMappingLayer, GrpcCode, IntoProblem, Problem, ProblemError, ProblemRegistry,
};
use http::{Request, Response, StatusCode, header};
use support::problem_body;
use tower::{Layer, ServiceExt, service_fn};

/// An error the application owns, which knows its problem.
#[derive(Debug)]
struct OutOfStock;

impl fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sku 7 is out of stock")
    }
}

impl Error for OutOfStock {}

impl IntoProblem for OutOfStock {
    fn to_problem(&self) -> Problem {
        Problem::new(StatusCode::CONFLICT)
            .with_type("https://example.com/problems/out-of-stock")
            .with_title("Out of stock")
            .with_grpc_code(GrpcCode::FailedPrecondition)
    }
}

/// An error that wraps another, as application code often does.
#[derive(Debug)]
struct Context(BoxError);

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("while placing the order")
    }
}

impl Error for Context {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.0)
    }
}

struct Case {
    name: &'static str,
    error: fn() -> BoxError,
    status: u16,
    problem_type: &'static str,
    title: &'static str,
    grpc: GrpcCode,
}

const CASES: &[Case] = &[
    Case {
        name: "a ProblemError with an explicit gRPC code",
        error: || Box::new(ProblemError::from(OutOfStock)),
        status: 409,
        problem_type: "https://example.com/problems/out-of-stock",
        title: "Out of stock",
        grpc: GrpcCode::FailedPrecondition,
    },
    Case {
        name: "a ProblemError whose gRPC code follows its status",
        error: || {
            Box::new(ProblemError::new(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
            )))
        },
        status: 429,
        problem_type: "about:blank",
        title: "Too Many Requests",
        grpc: GrpcCode::ResourceExhausted,
    },
    Case {
        name: "a ProblemError down the source chain",
        error: || Box::new(Context(Box::new(ProblemError::from(OutOfStock)))),
        status: 409,
        problem_type: "https://example.com/problems/out-of-stock",
        title: "Out of stock",
        grpc: GrpcCode::FailedPrecondition,
    },
    Case {
        name: "tower's timeout",
        error: || Box::new(tower::timeout::error::Elapsed::new()),
        status: 504,
        problem_type: "about:blank",
        title: "Gateway Timeout",
        grpc: GrpcCode::DeadlineExceeded,
    },
    Case {
        name: "tower's timeout down the source chain",
        error: || Box::new(Context(Box::new(tower::timeout::error::Elapsed::new()))),
        status: 504,
        problem_type: "about:blank",
        title: "Gateway Timeout",
        grpc: GrpcCode::DeadlineExceeded,
    },
    Case {
        name: "tower's load shedding",
        error: || Box::new(tower::load_shed::error::Overloaded::new()),
        status: 503,
        problem_type: "about:blank",
        title: "Service Unavailable",
        grpc: GrpcCode::Unavailable,
    },
    Case {
        name: "a registered mapping",
        error: || Box::new("x".parse::<u8>().unwrap_err()),
        status: 400,
        problem_type: "https://example.com/problems/not-a-number",
        title: "Not a number",
        grpc: GrpcCode::InvalidArgument,
    },
    Case {
        name: "a registered IntoProblem type, unwrapped",
        error: || Box::new(OutOfStock),
        status: 409,
        problem_type: "https://example.com/problems/out-of-stock",
        title: "Out of stock",
        grpc: GrpcCode::FailedPrecondition,
    },
    Case {
        name: "an unknown error",
        error: || Box::new(std::io::Error::other("disk full")),
        status: 500,
        problem_type: "about:blank",
        title: "Internal Server Error",
        grpc: GrpcCode::Internal,
    },
];

fn registry() -> ProblemRegistry {
    ProblemRegistry::new()
        .map(|_: &std::num::ParseIntError| {
            Problem::new(StatusCode::BAD_REQUEST)
                .with_type("https://example.com/problems/not-a-number")
                .with_title("Not a number")
        })
        .map_into_problem::<OutOfStock>()
}

fn layer() -> ErrorMappingLayer {
    ErrorMappingLayer::new().registry(registry())
}

async fn respond(case: &Case, grpc: bool) -> Response<error_mapping::ResponseBody<String>> {
    let error = case.error;
    let service = layer().layer(service_fn(move |_: Request<String>| async move {
        Err::<Response<String>, _>(error())
    }));
    let mut request = Request::new(String::new());
    if grpc {
        request.headers_mut().insert(
            header::CONTENT_TYPE,
            "application/grpc+proto".parse().unwrap(),
        );
    }
    service.oneshot(request).await.unwrap()
}

#[tokio::test]
async fn every_mapping_renders_its_problem_as_problem_json() {
    for case in CASES {
        let (status, body) = problem_body(respond(case, false).await).await;
        assert_eq!(status.as_u16(), case.status, "{}", case.name);
        assert_eq!(body["type"], case.problem_type, "{}", case.name);
        assert_eq!(body["title"], case.title, "{}", case.name);
        if status.is_server_error() {
            assert!(body.get("detail").is_none(), "{}: {body}", case.name);
        }
    }
}

#[tokio::test]
async fn every_mapping_renders_its_grpc_code_for_grpc_requests() {
    for case in CASES {
        let response = respond(case, true).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", case.name);
        let code = response.headers()["grpc-status"].to_str().unwrap();
        assert_eq!(code, (case.grpc as i32).to_string(), "{}", case.name);
        assert_eq!(
            response.headers()["grpc-message"],
            case.title,
            "{}",
            case.name
        );
    }
}

#[test]
fn the_registry_answers_the_same_problems_directly() {
    let registry = registry();
    for case in CASES {
        let problem = registry.problem_for(&*(case.error)());
        assert_eq!(problem.status().as_u16(), case.status, "{}", case.name);
        assert_eq!(problem.type_uri(), case.problem_type, "{}", case.name);
        assert_eq!(problem.title(), case.title, "{}", case.name);
        assert_eq!(problem.grpc_code(), case.grpc, "{}", case.name);
    }
}

#[test]
fn an_empty_registry_knows_only_problem_errors() {
    let registry = ProblemRegistry::empty();
    let timeout = tower::timeout::error::Elapsed::new();
    assert_eq!(
        registry.problem_for(&timeout).status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let known = ProblemError::from(OutOfStock);
    assert_eq!(registry.problem_for(&known).status(), StatusCode::CONFLICT);
}
