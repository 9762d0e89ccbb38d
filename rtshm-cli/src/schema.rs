//! `rtshm schema`: a segment's schema as `.msg` text or JSON.

use std::io::Write;

use rtshm::schema::TypeView;
use rtshm::shm::Inspector;

use crate::{FAILED, Failure, OK, decode, open};

pub(crate) fn run(out: &mut impl Write, name: &str, json: bool) -> Result<u8, Failure> {
    with_schema(name, |_, schema| {
        if json {
            writeln!(out, "{}", decode::schema_json(schema))?;
        } else {
            write!(out, "{}", schema.msg())?;
        }
        Ok(OK)
    })
}

/// Opens segment `name` and calls `f` with it and the schema it records; a segment that
/// records none is a failure saying so (`schema`, `codegen`).
pub(crate) fn with_schema<R>(
    name: &str,
    f: impl FnOnce(&Inspector, TypeView<'_>) -> Result<R, Failure>,
) -> Result<R, Failure> {
    let view = open(name)?;
    let Some(schema) = view.schema() else {
        return Err(Failure::new(
            FAILED,
            format!("'{name}' records no schema (its creator named a schema id only)"),
        ));
    };
    f(&view, schema)
}
