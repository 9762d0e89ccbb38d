//! `rtshm codegen`: the declaration of a segment's value type in C, C++, Rust or Python
//! (numpy), from the schema it records, so that a program in another language reads the
//! segment without copying a layout by hand.
//!
//! The declarations reproduce every offset, size and alignment of the schema: a hole the
//! schema's C layout leaves implicit is left to the compiler; one it does not (a packed or
//! hand-laid struct) becomes an explicit `_pad` member, and the size and offsets are asserted
//! at compile time in C and C++. C and C++ declare the schema with it (a field table, or
//! `RTSHM_SCHEMA`); Rust derives it (or implements it by hand when padding members were
//! needed, since `bytemuck::Pod` forbids implicit padding).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;

use rtshm::layout::Kind;
use rtshm::schema::{Node, Primitive, StructView, TypeView};

use crate::schema::with_schema;
use crate::{FAILED, Failure, OK};

/// The language to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Lang {
    /// A C11 header: the struct, `_Static_assert`s and the `rtshm_type` field table.
    C,
    /// A C++17 header for rtshm.hpp: the struct, `static_assert`s and `RTSHM_SCHEMA`.
    Cpp,
    /// Rust: the `#[repr(C)]` struct deriving `Pod` and `rtshm::Schema`.
    Rust,
    /// Python: the numpy dtype (`rtshm.Subscriber.open(name, dtype)`).
    Python,
}

pub(crate) fn run(out: &mut impl Write, name: &str, lang: Lang) -> Result<u8, Failure> {
    let text = with_schema(name, |view, schema| {
        generate(schema, name, view.kind(), lang).map_err(|e| Failure::new(FAILED, e))
    })?;
    out.write_all(text.as_bytes())?;
    Ok(OK)
}

/// A struct to declare: its name in the output and its schema.
struct Decl<'a> {
    name: String,
    s: StructView<'a>,
}

/// The structs of `root`, nested ones first, each once; a struct name used by two different
/// structs gets a suffix (`Point_2`). The map takes a struct node's bytes to its name.
fn structs<'a>(root: TypeView<'a>) -> (Vec<Decl<'a>>, HashMap<&'a [u8], String>) {
    fn walk<'a>(t: TypeView<'a>, decls: &mut Vec<Decl<'a>>, names: &mut HashMap<&'a [u8], String>) {
        match t.node() {
            Node::Array { element, .. } => walk(element, decls, names),
            Node::Struct(s) if !names.contains_key(t.as_bytes()) => {
                for f in s.fields() {
                    walk(f.ty, decls, names);
                }
                let mut name = s.name.to_owned();
                let mut n = 1;
                while decls.iter().any(|d| d.name == name) {
                    n += 1;
                    name = format!("{}_{n}", s.name);
                }
                names.insert(t.as_bytes(), name.clone());
                decls.push(Decl { name, s });
            }
            _ => {}
        }
    }
    let (mut decls, mut names) = (Vec::new(), HashMap::new());
    walk(root, &mut decls, &mut names);
    (decls, names)
}

/// A field's element type and array lengths, outermost first.
fn dims(t: TypeView<'_>) -> (TypeView<'_>, Vec<usize>) {
    let (element, lens) = t.element_and_dims();
    (element, lens.collect())
}

/// How the languages name a segment's kind: the C constant, the C++ and Rust structure (a
/// queue's values are its consumer's, so it is shown as the ring it is laid out like), and
/// the Python kind.
fn kind_words(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::SeqLock => ("RTSHM_SEQLOCK", "SeqLock", "seqlock"),
        Kind::TimeSeries => ("RTSHM_TIMESERIES", "TimeSeries", "timeseries"),
        _ => ("RTSHM_RING", "Ring", "ring"),
    }
}

fn round_up(n: usize, align: usize) -> usize {
    n.div_ceil(align.max(1)) * align.max(1)
}

/// One member of a struct as declared: a field, or padding of `n` bytes.
enum Member<'a> {
    Field {
        name: &'a str,
        element: TypeView<'a>,
        lens: Vec<usize>,
    },
    Pad(usize),
}

/// The members of `s`: its fields, with a pad wherever the schema's offset is not where
/// `natural` padding puts it (C: the compiler aligns each field; Rust Pod: no implicit
/// padding at all), and a trailing pad when needed.
fn members<'a>(s: &StructView<'a>, implicit_padding: bool) -> Vec<Member<'a>> {
    let mut out = Vec::new();
    let mut end = 0;
    for f in s.fields() {
        let at = if implicit_padding {
            round_up(end, f.ty.align())
        } else {
            end
        };
        if f.offset > at {
            out.push(Member::Pad(f.offset - end));
        }
        let (element, lens) = dims(f.ty);
        out.push(Member::Field {
            name: f.name,
            element,
            lens,
        });
        end = f.offset + f.ty.size();
    }
    let natural = if implicit_padding {
        round_up(end, s.align)
    } else {
        end
    };
    if s.size > natural {
        out.push(Member::Pad(s.size - end));
    }
    out
}

/// The widest alignment of `s`'s fields (what a compiler gives the struct by itself).
fn natural_align(s: &StructView<'_>) -> usize {
    s.fields().map(|f| f.ty.align()).max().unwrap_or(1)
}

const C_KEYWORDS: &[&str] = &[
    "alignas",
    "alignof",
    "and",
    "asm",
    "auto",
    "bool",
    "break",
    "case",
    "catch",
    "char",
    "class",
    "const",
    "constexpr",
    "continue",
    "decltype",
    "default",
    "delete",
    "do",
    "double",
    "else",
    "enum",
    "explicit",
    "export",
    "extern",
    "false",
    "float",
    "for",
    "friend",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "mutable",
    "namespace",
    "new",
    "noexcept",
    "not",
    "nullptr",
    "operator",
    "or",
    "private",
    "protected",
    "public",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "template",
    "this",
    "throw",
    "true",
    "try",
    "typedef",
    "typeid",
    "typename",
    "union",
    "unsigned",
    "using",
    "virtual",
    "void",
    "volatile",
    "while",
    "xor",
];

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "unsafe", "use", "where", "while", "yield",
];

/// Refuses a name the language reserves.
fn check_names(decls: &[Decl<'_>], keywords: &[&str], lang: &str) -> Result<(), String> {
    for d in decls {
        if keywords.contains(&d.name.as_str()) {
            return Err(format!("struct `{}` is named by a {lang} keyword", d.name));
        }
        for f in d.s.fields() {
            if keywords.contains(&f.name) || f.name.starts_with("_pad") {
                return Err(format!(
                    "field `{}.{}`: its name is a {lang} keyword (or this tool's padding)",
                    d.name, f.name
                ));
            }
        }
    }
    Ok(())
}

/// The program text for `schema`, the type of segment `segment`'s values.
pub(crate) fn generate(
    schema: TypeView<'_>,
    segment: &str,
    kind: Kind,
    lang: Lang,
) -> Result<String, String> {
    let (decls, names) = structs(schema);
    let Some(root) = names.get(schema.as_bytes()) else {
        return match lang {
            Lang::Rust => Ok(format!(
                "// `rtshm codegen --lang rust {segment}`\npub type Value = {};\n",
                rust_type(schema, &names)
            )),
            Lang::Python => Ok(format!(
                "# `rtshm codegen --lang python {segment}`\nimport numpy as np\n\nValue = {}\n",
                python_type(schema, &names)
            )),
            Lang::C | Lang::Cpp => Err(format!(
                "the values of '{segment}' are `{}`, not a struct: C and C++ open segments of \
                 structs (publish a struct holding it)",
                rust_type(schema, &names)
            )),
        };
    };
    let header = |comment: &str| {
        format!(
            "{comment} Generated by `rtshm codegen --lang {} {segment}`: the values of segment\n\
             {comment} '{segment}' ({}, schema fingerprint {:#018x}).\n",
            match lang {
                Lang::C => "c",
                Lang::Cpp => "cpp",
                Lang::Rust => "rust",
                Lang::Python => "python",
            },
            kind,
            schema.fingerprint()
        )
    };
    let mut o = String::new();
    match lang {
        Lang::C => {
            check_names(&decls, C_KEYWORDS, "C/C++")?;
            o += &header("//");
            c_like(&mut o, &decls, &names, root, segment, kind, false)?;
        }
        Lang::Cpp => {
            check_names(&decls, C_KEYWORDS, "C/C++")?;
            o += &header("//");
            c_like(&mut o, &decls, &names, root, segment, kind, true)?;
        }
        Lang::Rust => {
            check_names(&decls, RUST_KEYWORDS, "Rust")?;
            o += &header("//");
            rust(&mut o, &decls, &names, root, kind);
        }
        Lang::Python => {
            o += &header("#");
            python(&mut o, &decls, &names, root, segment, kind);
        }
    }
    Ok(o)
}

/// The C type of `p` and its `rtshm_prim` constant.
fn c_names(p: Primitive) -> (&'static str, &'static str) {
    match p {
        Primitive::U8 => ("uint8_t", "RTSHM_U8"),
        Primitive::U16 => ("uint16_t", "RTSHM_U16"),
        Primitive::U32 => ("uint32_t", "RTSHM_U32"),
        Primitive::U64 => ("uint64_t", "RTSHM_U64"),
        Primitive::I8 => ("int8_t", "RTSHM_I8"),
        Primitive::I16 => ("int16_t", "RTSHM_I16"),
        Primitive::I32 => ("int32_t", "RTSHM_I32"),
        Primitive::I64 => ("int64_t", "RTSHM_I64"),
        Primitive::F32 => ("float", "RTSHM_F32"),
        Primitive::F64 => ("double", "RTSHM_F64"),
        _ => ("uint8_t", "RTSHM_U8"),
    }
}

/// C or C++ (`cpp`): structs, layout assertions, and the schema.
fn c_like(
    o: &mut String,
    decls: &[Decl<'_>],
    names: &HashMap<&[u8], String>,
    root: &str,
    segment: &str,
    kind: Kind,
    cpp: bool,
) -> Result<(), String> {
    let guard: String = format!("RTSHM_CODEGEN_{root}_H").to_uppercase();
    let _ = writeln!(o, "#ifndef {guard}\n#define {guard}\n");
    if cpp {
        o.push_str("#include <cstddef>\n#include <cstdint>\n\n#include <rtshm.hpp>\n\n");
    } else {
        o.push_str("#include <stddef.h>\n#include <stdint.h>\n\n#include \"rtshm.h\"\n\n");
    }
    let (assert, align_of) = if cpp {
        ("static_assert", "alignof")
    } else {
        ("_Static_assert", "_Alignof")
    };
    for d in decls {
        let s = &d.s;
        let name = &d.name;
        let over_aligned = s.align > natural_align(s);
        if cpp && over_aligned {
            let _ = writeln!(o, "struct alignas({}) {name} {{", s.align);
        } else if cpp {
            let _ = writeln!(o, "struct {name} {{");
        } else {
            let _ = writeln!(o, "typedef struct {name} {{");
        }
        let mut pads = 0;
        let mut first = true;
        for m in members(s, true) {
            let align = if !cpp && over_aligned && first {
                format!("_Alignas({}) ", s.align)
            } else {
                String::new()
            };
            first = false;
            match m {
                Member::Pad(n) => {
                    let _ = writeln!(o, "    {align}uint8_t _pad{pads}[{n}];");
                    pads += 1;
                }
                Member::Field {
                    name: field,
                    element,
                    lens,
                    ..
                } => {
                    let ty = match element.node() {
                        Node::Primitive(p) => c_names(p).0.to_owned(),
                        _ => names.get(element.as_bytes()).cloned().unwrap_or_default(),
                    };
                    let lens: String = lens.iter().map(|n| format!("[{n}]")).collect();
                    let _ = writeln!(o, "    {align}{ty} {field}{lens};");
                }
            }
        }
        if cpp {
            o.push_str("};\n");
        } else {
            let _ = writeln!(o, "}} {name};");
        }
        let why = format!("\"{name}: the layout differs from the segment's\"");
        let _ = writeln!(o, "{assert}(sizeof({name}) == {}, {why});", s.size);
        let _ = writeln!(o, "{assert}({align_of}({name}) == {}, {why});", s.align);
        for f in s.fields() {
            let _ = writeln!(
                o,
                "{assert}(offsetof({name}, {}) == {}, {why});",
                f.name, f.offset
            );
        }
        if cpp {
            let fields: Vec<String> = s
                .fields()
                .map(|f| format!("RTSHM_FIELD({name}, {})", f.name))
                .collect();
            let _ = writeln!(o, "RTSHM_SCHEMA({name}, {});\n", fields.join(", "));
        } else {
            let _ = writeln!(o, "static const rtshm_field {name}_fields[] = {{");
            for f in s.fields() {
                let (element, lens) = dims(f.ty);
                if lens.len() > 4 {
                    return Err(format!(
                        "field `{name}.{}` has {} array dimensions; a C field table holds 4",
                        f.name,
                        lens.len()
                    ));
                }
                let (prim, nested) = match element.node() {
                    Node::Primitive(p) => (c_names(p).1, "NULL".to_owned()),
                    _ => (
                        "RTSHM_STRUCT",
                        format!(
                            "&{}_type",
                            names.get(element.as_bytes()).cloned().unwrap_or_default()
                        ),
                    ),
                };
                let count: Vec<String> = lens.iter().map(usize::to_string).collect();
                let count = if count.is_empty() {
                    "0".to_owned()
                } else {
                    count.join(", ")
                };
                let _ = writeln!(
                    o,
                    "    {{\"{0}\", {prim}, offsetof({name}, {0}), {{{count}}}, {nested}}},",
                    f.name
                );
            }
            let _ = writeln!(
                o,
                "}};\nstatic const rtshm_type {name}_type = {{\"{}\", sizeof({name}), \
                 _Alignof({name}), {name}_fields, {}}};\n",
                s.name,
                s.len()
            );
        }
    }
    let (k, how, _) = kind_words(kind);
    if cpp {
        let _ = writeln!(
            o,
            "// auto subscriber = rtshm::Subscriber<rtshm::{how}<{root}>>::open(\"{segment}\");"
        );
    } else {
        let _ = writeln!(
            o,
            "/* rtshm_subscriber_open(\"{segment}\", {k}, &{root}_type, NULL, &subscriber); */"
        );
    }
    let _ = writeln!(o, "\n#endif");
    Ok(())
}

fn rust_type(t: TypeView<'_>, names: &HashMap<&[u8], String>) -> String {
    match t.node() {
        Node::Primitive(p) => p.rust_name().to_owned(),
        Node::Array { element, len } => format!("[{}; {len}]", rust_type(element, names)),
        _ => names.get(t.as_bytes()).cloned().unwrap_or_default(),
    }
}

fn rust(
    o: &mut String,
    decls: &[Decl<'_>],
    names: &HashMap<&[u8], String>,
    root: &str,
    kind: Kind,
) {
    for d in decls {
        let s = &d.s;
        let name = &d.name;
        let members = members(s, false);
        let padded = members.iter().any(|m| matches!(m, Member::Pad(_)));
        let derives = if padded {
            "Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable"
        } else {
            "Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema"
        };
        let repr = if s.align > natural_align(s) {
            format!("#[repr(C, align({}))]", s.align)
        } else {
            "#[repr(C)]".to_owned()
        };
        let _ = writeln!(o, "\n#[derive({derives})]\n{repr}\npub struct {name} {{");
        let mut pads = 0;
        for m in &members {
            match m {
                Member::Pad(n) => {
                    let _ = writeln!(o, "    _pad{pads}: [u8; {n}],");
                    pads += 1;
                }
                Member::Field { name: field, .. } => {
                    let ty = s
                        .field(field)
                        .map(|f| rust_type(f.ty, names))
                        .unwrap_or_default();
                    let _ = writeln!(o, "    pub {field}: {ty},");
                }
            }
        }
        o.push_str("}\n");
        if padded {
            // Pod allows no implicit padding: the pads are members, and the schema (which
            // names only the fields) is written out instead of derived.
            let _ = writeln!(
                o,
                "\nimpl rtshm::Schema for {name} {{\n    const TYPE: rtshm::schema::Type = \
                 rtshm::schema::Type::Struct(&rtshm::schema::Struct {{\n        name: \"{}\",\n        \
                 size: {},\n        align: {},\n        fields: &[",
                s.name, s.size, s.align
            );
            for f in s.fields() {
                let _ = writeln!(
                    o,
                    "            rtshm::schema::Field::new(\"{}\", {}, <{} as rtshm::Schema>::TYPE),",
                    f.name,
                    f.offset,
                    rust_type(f.ty, names)
                );
            }
            o.push_str("        ],\n    });\n}\n");
        }
    }
    let (_, how, _) = kind_words(kind);
    let _ = writeln!(
        o,
        "\n// let subscriber = rtshm::shm::{how}Subscriber::<{root}>::open(NAME)?;"
    );
}

fn python_type(t: TypeView<'_>, names: &HashMap<&[u8], String>) -> String {
    let (element, lens) = dims(t);
    let base = match element.node() {
        Node::Primitive(p) => {
            let code = match p {
                Primitive::U8 => "u1",
                Primitive::U16 => "<u2",
                Primitive::U32 => "<u4",
                Primitive::U64 => "<u8",
                Primitive::I8 => "i1",
                Primitive::I16 => "<i2",
                Primitive::I32 => "<i4",
                Primitive::I64 => "<i8",
                Primitive::F32 => "<f4",
                _ => "<f8",
            };
            format!("\"{code}\"")
        }
        _ => names.get(element.as_bytes()).cloned().unwrap_or_default(),
    };
    if lens.is_empty() {
        base
    } else {
        let shape: Vec<String> = lens.iter().map(usize::to_string).collect();
        format!("({base}, ({},))", shape.join(", "))
    }
}

fn python(
    o: &mut String,
    decls: &[Decl<'_>],
    names: &HashMap<&[u8], String>,
    root: &str,
    segment: &str,
    kind: Kind,
) {
    o.push_str("import numpy as np\n");
    for d in decls {
        let s = &d.s;
        let fields: Vec<_> = s.fields().collect();
        let list = |f: &dyn Fn(&rtshm::schema::FieldView<'_>) -> String| {
            fields.iter().map(f).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            o,
            "\n{} = np.dtype(\n    {{\n        \"names\": [{}],\n        \"formats\": [{}],\n        \
             \"offsets\": [{}],\n        \"itemsize\": {},\n    }},\n    align=True,\n)",
            d.name,
            list(&|f| format!("\"{}\"", f.name)),
            list(&|f| python_type(f.ty, names)),
            list(&|f| f.offset.to_string()),
            s.size
        );
    }
    let (_, _, kind) = kind_words(kind);
    let _ = writeln!(
        o,
        "\n# subscriber = rtshm.Subscriber.open(\"{segment}\", {root}, \"{kind}\")"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtshm::schema::Schema;

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    struct Wheel {
        speed: f32,
        temperature: i16,
        index: u8,
        fault: u8,
    }

    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable, rtshm::Schema)]
    #[repr(C)]
    struct Base {
        stamp: u64,
        wheels: [Wheel; 2],
        covariance: [[f32; 3]; 2],
    }

    fn text<T: Schema>(lang: Lang) -> Result<String, String> {
        let buf = rtshm::schema::SchemaBuf::of(&T::TYPE).unwrap();
        generate(buf.view(), "base", Kind::SeqLock, lang)
    }

    #[test]
    fn c_and_cpp_declare_nested_structs_first_with_tables_and_asserts() {
        let c = text::<Base>(Lang::C).unwrap();
        let wheel = c.find("typedef struct Wheel {").unwrap();
        assert!(wheel < c.find("typedef struct Base {").unwrap());
        assert!(c.contains("    float covariance[2][3];"));
        assert!(c.contains("    Wheel wheels[2];"));
        assert!(
            c.contains("{\"wheels\", RTSHM_STRUCT, offsetof(Base, wheels), {2}, &Wheel_type},")
        );
        assert!(
            c.contains("{\"covariance\", RTSHM_F32, offsetof(Base, covariance), {2, 3}, NULL},")
        );
        assert!(c.contains("_Static_assert(sizeof(Base) == 48,"));
        let cpp = text::<Base>(Lang::Cpp).unwrap();
        assert!(cpp.contains(
            "RTSHM_SCHEMA(Base, RTSHM_FIELD(Base, stamp), RTSHM_FIELD(Base, wheels), \
             RTSHM_FIELD(Base, covariance));"
        ));
        assert!(cpp.contains("rtshm::Subscriber<rtshm::SeqLock<Base>>::open(\"base\")"));
    }

    #[test]
    fn rust_derives_and_python_names_every_offset() {
        let rust = text::<Base>(Lang::Rust).unwrap();
        assert!(rust.contains("rtshm::Schema)]\n#[repr(C)]\npub struct Base {"));
        assert!(rust.contains("    pub covariance: [[f32; 3]; 2],"));
        let python = text::<Base>(Lang::Python).unwrap();
        assert!(python.contains("\"formats\": [\"<u8\", (Wheel, (2,)), (\"<f4\", (2, 3,))],"));
        assert!(python.contains("\"offsets\": [0, 8, 24],"));
    }

    #[test]
    fn holes_become_pads_and_rust_writes_the_schema_out() {
        let buf = rtshm::schema::SchemaBuf::of(&HOLEY).unwrap();
        let c = generate(buf.view(), "h", Kind::Ring, Lang::C).unwrap();
        assert!(c.contains(
            "    uint8_t a;\n    uint8_t _pad0[7];\n    uint32_t b;\n    uint8_t _pad1[4];\n"
        ));
        let rust = generate(buf.view(), "h", Kind::Ring, Lang::Rust).unwrap();
        assert!(rust.contains("    _pad0: [u8; 7],"));
        assert!(rust.contains("impl rtshm::Schema for Holey"));
        assert!(
            rust.contains("rtshm::schema::Field::new(\"b\", 8, <u32 as rtshm::Schema>::TYPE),")
        );
    }

    /// The generated Rust, checked in (regenerate: `RTSHM_BLESS=1 cargo test -p rtshm-cli
    /// codegen`) and compiled here: it must describe the very schema it came from.
    #[allow(
        dead_code,
        unreachable_pub,
        missing_docs,
        reason = "generated code: only the types' schemas are used"
    )]
    mod generated {
        pub(super) mod base {
            include!("../tests/codegen/base.rs");
        }
        pub(super) mod holey {
            include!("../tests/codegen/holey.rs");
        }
    }

    fn snapshot(file: &str, text: &str) {
        let path = format!("{}/tests/codegen/{file}", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("RTSHM_BLESS").is_some() {
            std::fs::write(&path, text).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "{path} is stale"
        );
    }

    #[test]
    fn generated_rust_compiles_to_the_same_schema() {
        snapshot("base.rs", &text::<Base>(Lang::Rust).unwrap());
        let holey = rtshm::schema::SchemaBuf::of(&HOLEY).unwrap();
        snapshot(
            "holey.rs",
            &generate(holey.view(), "base", Kind::SeqLock, Lang::Rust).unwrap(),
        );
        let fingerprint = |t: &rtshm::schema::Type| t.fingerprint();
        assert_eq!(
            fingerprint(&<generated::base::Base as Schema>::TYPE),
            fingerprint(&Base::TYPE)
        );
        assert_eq!(
            fingerprint(&<generated::holey::Holey as Schema>::TYPE),
            fingerprint(&HOLEY)
        );
    }

    use rtshm::schema::{Field, Struct, Type};
    /// A u8 at 0 and a u32 at 8 (C would put it at 4), 16 bytes: padding C leaves implicit
    /// nowhere.
    static HOLEY: Type = Type::Struct(&Struct {
        name: "Holey",
        size: 16,
        align: 4,
        fields: &[
            Field::new("a", 0, Type::Primitive(Primitive::U8)),
            Field::new("b", 8, Type::Primitive(Primitive::U32)),
        ],
    });

    #[test]
    fn non_structs_and_keywords_are_refused_for_c_with_a_reason() {
        let e = text::<[f32; 6]>(Lang::Cpp).unwrap_err();
        assert!(e.contains("`[f32; 6]`, not a struct"), "{e}");
        assert_eq!(
            text::<[f32; 6]>(Lang::Rust).unwrap().lines().last(),
            Some("pub type Value = [f32; 6];")
        );
        use rtshm::schema::{Field, Struct, Type};
        static KEYWORD: Type = Type::Struct(&Struct {
            name: "K",
            size: 4,
            align: 4,
            fields: &[Field::new("class", 0, Type::Primitive(Primitive::U32))],
        });
        let buf = rtshm::schema::SchemaBuf::of(&KEYWORD).unwrap();
        let e = generate(buf.view(), "k", Kind::Ring, Lang::Cpp).unwrap_err();
        assert!(e.contains("`K.class`"), "{e}");
    }
}
