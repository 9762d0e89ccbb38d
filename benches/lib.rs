//! The criterion benchmarks of rtshm live next to this file (`copy`, `series`, `ipc`,
//! `scaling`); run them with `cargo bench` at the repository root. Methods and results:
//! BENCHMARKS.md. This library is empty: a package needs a target besides its benches.
