//! A value's bytes as named fields, by the segment's schema: JSON, one line of text, or a
//! table; and the schema itself as `.msg` text or JSON (`rtshm schema`).

use rtshm::schema::{Node, Number, StructView, TypeView, Visitor};
use serde_json::{Map, Value};

/// The most elements of one array a text line or table shows; JSON shows them all.
const ARRAY_SHOWN: usize = 16;

/// Builds a JSON value from a visit: structs become objects, arrays lists, numbers numbers.
#[derive(Default)]
struct Json {
    /// The open structs and arrays, innermost last, each with the field name it goes under.
    stack: Vec<(Value, Option<String>)>,
    field: Option<String>,
    done: Option<Value>,
}

impl Json {
    fn push(&mut self, v: Value) {
        let name = self.field.take();
        match self.stack.last_mut() {
            Some((Value::Object(map), _)) => {
                map.insert(name.unwrap_or_default(), v);
            }
            Some((Value::Array(list), _)) => list.push(v),
            _ => self.done = Some(v),
        }
    }

    fn close(&mut self) {
        if let Some((v, name)) = self.stack.pop() {
            self.field = name;
            self.push(v);
        }
    }
}

impl Visitor for Json {
    fn number(&mut self, n: Number) {
        self.push(number(n));
    }
    fn begin_struct(&mut self, _s: &StructView<'_>) {
        let name = self.field.take();
        self.stack.push((Value::Object(Map::new()), name));
    }
    fn field(&mut self, name: &str) {
        self.field = Some(name.to_owned());
    }
    fn end_struct(&mut self) {
        self.close();
    }
    fn begin_array(&mut self, len: usize) {
        let name = self.field.take();
        self.stack
            .push((Value::Array(Vec::with_capacity(len)), name));
    }
    fn end_array(&mut self) {
        self.close();
    }
}

/// A number as JSON: `f32` by its shortest decimal form (9.81, not 9.8100004196167);
/// NaN and infinities as `null` (JSON has none).
fn number(n: Number) -> Value {
    match n {
        Number::Unsigned(v) => v.into(),
        Number::Signed(v) => v.into(),
        Number::F32(v) => v
            .to_string()
            .parse::<f64>()
            .map_or(Value::Null, Value::from),
        Number::F64(v) => v.into(),
        _ => Value::Null,
    }
}

/// `value` decoded by `schema` as JSON, or `None` if it is shorter than its type.
pub(crate) fn json(schema: TypeView<'_>, value: &[u8]) -> Option<Value> {
    let mut j = Json::default();
    schema.visit(value, &mut j).ok()?;
    j.done
}

/// A JSON value on one line, arrays cut after [`ARRAY_SHOWN`] elements:
/// `{stamp_ns: 7, accel: [0, 0, 9.81]}`.
fn compact(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(list) => {
            let mut items: Vec<String> = list.iter().take(ARRAY_SHOWN).map(compact).collect();
            if list.len() > ARRAY_SHOWN {
                items.push(format!("... {} more", list.len() - ARRAY_SHOWN));
            }
            format!("[{}]", items.join(", "))
        }
        v => v.to_string(),
    }
}

/// `value` as one line of named fields (`stamp_ns=7 accel=[0, 0, 9.81]`), or `None` if it is
/// shorter than its type.
pub(crate) fn line(schema: TypeView<'_>, value: &[u8]) -> Option<String> {
    Some(match json(schema, value)? {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", compact(v)))
            .collect::<Vec<_>>()
            .join(" "),
        v => compact(&v),
    })
}

/// `value` as a table, one line per field (nested struct fields by path: `accel.x`), each
/// line starting with `indent`; `None` if it is shorter than its type.
pub(crate) fn table(schema: TypeView<'_>, value: &[u8], indent: &str) -> Option<String> {
    let mut rows = Vec::new();
    flatten(&json(schema, value)?, String::new(), &mut rows);
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    Some(
        rows.iter()
            .map(|(k, v)| format!("{indent}{k:width$}  {v}\n"))
            .collect(),
    )
}

fn flatten(v: &Value, path: String, rows: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(v, p, rows);
            }
        }
        v if path.is_empty() => rows.push(("value".to_owned(), compact(v))),
        v => rows.push((path, compact(v))),
    }
}

/// The schema as JSON: `{"kind": "struct", "name", "size", "align", "fields": [{"name",
/// "offset", "type": ...}]}`, `{"kind": "array", "len", "element"}`, `{"kind": "primitive",
/// "type": "f32"}`.
pub(crate) fn schema_json(t: TypeView<'_>) -> Value {
    match t.node() {
        Node::Primitive(p) => serde_json::json!({
            "kind": "primitive",
            "type": p.rust_name(),
            "size": p.size(),
        }),
        Node::Array { element, len } => serde_json::json!({
            "kind": "array",
            "len": len,
            "size": t.size(),
            "element": schema_json(element),
        }),
        Node::Struct(s) => serde_json::json!({
            "kind": "struct",
            "name": s.name,
            "size": s.size,
            "align": s.align,
            "fields": s.fields().map(|f| serde_json::json!({
                "name": f.name,
                "offset": f.offset,
                "type": schema_json(f.ty),
            })).collect::<Vec<_>>(),
        }),
        _ => Value::Null,
    }
}
