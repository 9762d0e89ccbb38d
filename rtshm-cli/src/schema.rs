//! `rtshm schema`: a segment's schema as `.msg` text or JSON.

use std::io::Write;

use crate::{FAILED, Failure, OK, decode, open};

pub(crate) fn run(out: &mut impl Write, name: &str, json: bool) -> Result<u8, Failure> {
    let view = open(name)?;
    let Some(schema) = view.schema() else {
        return Err(Failure::new(
            FAILED,
            format!("'{name}' records no schema (its creator named a schema id only)"),
        ));
    };
    if json {
        writeln!(out, "{}", decode::schema_json(schema))?;
    } else {
        write!(out, "{}", schema.msg())?;
    }
    Ok(OK)
}
