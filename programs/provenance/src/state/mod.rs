pub mod accumulator;
pub mod batch_log;
pub mod circuit;
pub mod config;

pub use accumulator::*;
pub use batch_log::*;
pub use circuit::*;
pub use config::*;
