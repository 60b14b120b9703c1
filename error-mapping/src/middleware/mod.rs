//! The outermost layer of a stack: request ids, and every failure rendered as a problem.

pub mod future;
mod layer;
mod respond;
mod service;

pub use layer::ErrorMappingLayer;
pub use service::ErrorMapping;
