//! `rtshm._native`: the byte-level half of the Python package. It moves bytes between numpy
//! buffers and segments through the core crate's run-time-typed handles
//! ([`RawPublisher`], [`Inspector::open_as`]); the Python half (`rtshm/__init__.py`) turns
//! dtypes into [`RawType`]s and bytes into numpy records.
//!
//! Errors are raised as the exception classes of `rtshm.errors` (a pure Python hierarchy, so
//! that they can also derive from the built-in `FileNotFoundError`, `TimeoutError`...).

use std::time::Duration;

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyType};

use rtshm::layout::{Kind, LayoutError};
use rtshm::liveness::WriterStatus;
use rtshm::schema::{Encoder, Node, Primitive, SchemaBuf, TypeView};
use rtshm::shm::{
    CreateConfig, CreateError, Inspector, OpenConfig, OpenError, RawError, RawPublisher, RawType,
    TakeoverError,
};
use rtshm::{Busy, Clock, GetError, InterpolationError, Timestamp};

// ---- errors ------------------------------------------------------------------------------

/// The exception class `name` of `rtshm.errors`, imported once.
fn error_class<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyType>> {
    static CLASSES: [PyOnceLock<Py<PyType>>; ERRORS.len()] =
        [const { PyOnceLock::new() }; ERRORS.len()];
    let index = ERRORS.iter().position(|&n| n == name).unwrap_or(0);
    CLASSES[index]
        .import(py, "rtshm.errors", ERRORS[index])
        .cloned()
}

/// Every class `error` may raise (`RtshmError` first: the fallback).
const ERRORS: [&str; 17] = [
    "RtshmError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "InvalidNameError",
    "NotInitializedError",
    "InvalidSegmentError",
    "VersionMismatchError",
    "KindMismatchError",
    "TypeMismatchError",
    "WriterAliveError",
    "BusyError",
    "OverwrittenError",
    "NotYetError",
    "NonMonotonicError",
    "EmptyError",
    "OutOfRangeError",
];

/// A `rtshm.errors.<name>(message, **attributes)` exception.
fn error(py: Python<'_>, name: &'static str, message: String, attrs: &[(&str, u64)]) -> PyErr {
    let raise = || -> PyResult<PyErr> {
        let class = error_class(py, name)?;
        let kwargs = PyDict::new(py);
        for (key, value) in attrs {
            kwargs.set_item(key, value)?;
        }
        let instance = class.call((message.clone(),), Some(&kwargs))?;
        Ok(PyErr::from_value(instance))
    };
    raise().unwrap_or_else(|e| e)
}

fn layout_error(py: Python<'_>, e: LayoutError) -> PyErr {
    let message = e.to_string();
    match e {
        LayoutError::NotInitialized => error(py, "NotInitializedError", message, &[]),
        LayoutError::VersionMismatch { found, expected } => error(
            py,
            "VersionMismatchError",
            message,
            &[("found", found.into()), ("expected", expected.into())],
        ),
        LayoutError::KindMismatch { .. } => error(py, "KindMismatchError", message, &[]),
        LayoutError::TypeMismatch {
            found, expected, ..
        } => error(
            py,
            "TypeMismatchError",
            message,
            &[("found", found), ("expected", expected)],
        ),
        LayoutError::PayloadMismatch { .. } => error(py, "TypeMismatchError", message, &[]),
        _ => error(py, "InvalidSegmentError", message, &[]),
    }
}

fn open_error(py: Python<'_>, e: OpenError) -> PyErr {
    let message = e.to_string();
    match e {
        OpenError::NotFound => error(py, "NotFoundError", message, &[]),
        OpenError::PermissionDenied => error(py, "PermissionDeniedError", message, &[]),
        OpenError::InvalidName(_) => error(py, "InvalidNameError", message, &[]),
        OpenError::Invalid(e) => layout_error(py, e),
        OpenError::SchemaMismatch(_) => error(py, "TypeMismatchError", message, &[]),
        _ => error(py, "RtshmError", message, &[]),
    }
}

fn create_error(py: Python<'_>, e: CreateError) -> PyErr {
    let message = e.to_string();
    match e {
        CreateError::AlreadyExists => error(py, "AlreadyExistsError", message, &[]),
        CreateError::PermissionDenied => error(py, "PermissionDeniedError", message, &[]),
        CreateError::InvalidName(_) => error(py, "InvalidNameError", message, &[]),
        // Bad arguments (capacity, alignment, mode), not a bad segment.
        CreateError::Layout(_) | CreateError::InvalidMode { .. } => PyValueError::new_err(message),
        _ => error(py, "RtshmError", message, &[]),
    }
}

fn takeover_error(py: Python<'_>, e: TakeoverError) -> PyErr {
    match e {
        TakeoverError::Create(e) => create_error(py, e),
        TakeoverError::Open(e) => open_error(py, e),
        TakeoverError::WriterAlive { pid } => error(
            py,
            "WriterAliveError",
            e.to_string(),
            &[("pid", u64::try_from(pid).unwrap_or(0))],
        ),
        e => error(py, "RtshmError", e.to_string(), &[]),
    }
}

fn raw_error(py: Python<'_>, e: RawError) -> PyErr {
    match e {
        RawError::NonMonotonic(m) => error(
            py,
            "NonMonotonicError",
            e.to_string(),
            &[("last", m.last.as_nanos()), ("given", m.given.as_nanos())],
        ),
        // The Python layer checks sizes and kinds first; these are its bugs.
        e => PyValueError::new_err(e.to_string()),
    }
}

fn busy(py: Python<'_>) -> PyErr {
    error(py, "BusyError", Busy.to_string(), &[])
}

fn get_error(py: Python<'_>, e: GetError) -> PyErr {
    let message = e.to_string();
    match e {
        GetError::Overwritten { oldest } => {
            error(py, "OverwrittenError", message, &[("oldest", oldest)])
        }
        GetError::NotYet { written } => error(py, "NotYetError", message, &[("written", written)]),
        GetError::Busy => busy(py),
        _ => error(py, "RtshmError", message, &[]),
    }
}

fn interpolation_error(py: Python<'_>, e: InterpolationError) -> PyErr {
    let message = e.to_string();
    match e {
        InterpolationError::Empty => error(py, "EmptyError", message, &[]),
        InterpolationError::OutOfRange {
            requested,
            oldest,
            newest,
        } => error(
            py,
            "OutOfRangeError",
            message,
            &[
                ("requested", requested.as_nanos()),
                ("oldest", oldest.as_nanos()),
                ("newest", newest.as_nanos()),
            ],
        ),
        _ => busy(py),
    }
}

// ---- arguments ---------------------------------------------------------------------------

fn kind_of(name: &str) -> PyResult<Kind> {
    match name {
        "seqlock" => Ok(Kind::SeqLock),
        "ring" => Ok(Kind::Ring),
        "timeseries" => Ok(Kind::TimeSeries),
        other => Err(PyValueError::new_err(format!(
            "unknown kind {other:?}: expected 'seqlock', 'ring' or 'timeseries'"
        ))),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::SeqLock => "seqlock",
        Kind::Ring => "ring",
        Kind::TimeSeries => "timeseries",
        Kind::Queue => "queue",
        _ => "unknown",
    }
}

fn seconds(s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| PyValueError::new_err(format!("{s} is not a duration in seconds")))
}

/// Options of a create with file mode `mode`, stamps from `CLOCK_REALTIME` if asked.
fn create_options(mode: u32, realtime_clock: bool) -> CreateConfig {
    let clock = if realtime_clock {
        Clock::Realtime
    } else {
        Clock::Monotonic
    };
    CreateConfig::new().mode(mode).clock(clock)
}

/// The payload type: described by an encoded schema (`descriptor`, from the dtype), with the
/// explicit schema id `schema` as its fingerprint if given; or by size, alignment and schema id
/// only.
fn raw_type(
    kind: &str,
    size: usize,
    align: usize,
    schema: Option<u64>,
    descriptor: Option<&[u8]>,
) -> PyResult<RawType> {
    let kind = kind_of(kind)?;
    let ty = match (descriptor, schema) {
        (Some(bytes), _) => {
            let buf = SchemaBuf::from_bytes(bytes.to_vec())
                .map_err(|e| PyValueError::new_err(format!("invalid schema: {e}")))?;
            RawType::described(kind, buf)
        }
        (None, Some(id)) => RawType::new(kind, size, align, id),
        (None, None) => {
            return Err(PyValueError::new_err(
                "a payload type needs a schema (a dtype) or a schema id",
            ));
        }
    };
    if (ty.size, ty.align) != (size, align) {
        return Err(PyValueError::new_err(format!(
            "the schema describes {} bytes aligned to {}, the dtype {size} bytes aligned to \
             {align}",
            ty.size, ty.align
        )));
    }
    Ok(match schema {
        Some(id) => ty.with_id(id),
        None => ty,
    })
}

/// Options of an open that waits up to `timeout` seconds for an initializing creator.
/// An open that waits `timeout` seconds for an initializing creator and `wait` seconds for a
/// segment not created yet (`OpenConfig::wait_for_creation`).
fn open_options(timeout: f64, wait: f64) -> PyResult<OpenConfig> {
    Ok(OpenConfig::new()
        .init_timeout(seconds(timeout)?)
        .wait_for_creation(seconds(wait)?))
}

/// A schema as nested tuples: `("struct", name, size, align, [(field, offset, type)...])`,
/// `("array", len, element)`, `("prim", "f32")`.
fn schema_tree<'py>(py: Python<'py>, t: TypeView<'_>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match t.node() {
        Node::Primitive(p) => ("prim", p.rust_name()).into_pyobject(py)?.into_any(),
        Node::Array { element, len } => ("array", len, schema_tree(py, element)?)
            .into_pyobject(py)?
            .into_any(),
        Node::Struct(s) => {
            let mut fields = Vec::with_capacity(s.len());
            for f in s.fields() {
                fields.push((f.name, f.offset, schema_tree(py, f.ty)?));
            }
            ("struct", s.name, s.size, s.align, fields)
                .into_pyobject(py)?
                .into_any()
        }
        _ => py.None().into_bound(py),
    })
}

/// Encodes a tree of [`schema_tree`]'s form.
fn encode_tree(e: &mut Encoder<'_>, tree: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
    if depth > rtshm::schema::MAX_DEPTH {
        return Err(PyValueError::new_err("the dtype nests too deep"));
    }
    let tag: String = tree.get_item(0)?.extract()?;
    match tag.as_str() {
        "prim" => {
            let name: String = tree.get_item(1)?.extract()?;
            let p = PRIMITIVES
                .iter()
                .find(|p| p.rust_name() == name)
                .ok_or_else(|| PyValueError::new_err(format!("no schema type {name}")))?;
            e.primitive(*p);
        }
        "array" => {
            e.array(tree.get_item(1)?.extract()?);
            encode_tree(e, &tree.get_item(2)?, depth + 1)?;
        }
        "struct" => {
            let name: String = tree.get_item(1)?.extract()?;
            let fields: Vec<Bound<'_, PyAny>> = tree.get_item(4)?.extract()?;
            e.structure(
                &name,
                tree.get_item(2)?.extract()?,
                tree.get_item(3)?.extract()?,
                fields.len(),
            );
            for f in &fields {
                let field: String = f.get_item(0)?.extract()?;
                e.field(&field, f.get_item(1)?.extract()?);
                encode_tree(e, &f.get_item(2)?, depth + 1)?;
            }
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown schema node {other}"
            )));
        }
    }
    Ok(())
}

const PRIMITIVES: [Primitive; 10] = [
    Primitive::U8,
    Primitive::U16,
    Primitive::U32,
    Primitive::U64,
    Primitive::I8,
    Primitive::I16,
    Primitive::I32,
    Primitive::I64,
    Primitive::F32,
    Primitive::F64,
];

/// The encoded schema of a tree (see `schema_tree`), checked: `ValueError` names what is wrong.
#[pyfunction]
fn encode_schema<'py>(py: Python<'py>, tree: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let mut measure = Encoder::new(&mut []);
    encode_tree(&mut measure, tree, 0)?;
    let mut bytes = vec![0u8; measure.len()];
    let mut e = Encoder::new(&mut bytes);
    encode_tree(&mut e, tree, 0)?;
    let encoded = e
        .finish()
        .map_err(|err| PyValueError::new_err(format!("invalid schema: {err}")))?;
    TypeView::parse(encoded)
        .map_err(|err| PyValueError::new_err(format!("invalid schema: {err}")))?;
    Ok(PyBytes::new(py, &bytes))
}

/// The tree of an encoded schema.
#[pyfunction]
fn decode_schema<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let view = TypeView::parse(bytes)
        .map_err(|err| PyValueError::new_err(format!("invalid schema: {err}")))?;
    schema_tree(py, view)
}

/// The schema's fingerprint (what a segment records without an explicit schema id).
#[pyfunction]
fn schema_fingerprint(bytes: &[u8]) -> PyResult<u64> {
    let view = TypeView::parse(bytes)
        .map_err(|err| PyValueError::new_err(format!("invalid schema: {err}")))?;
    Ok(view.fingerprint())
}

/// `(kind, schema tree or None, value size, value alignment)` of the segment `name`, opened
/// read-only like a tool.
#[pyfunction]
#[pyo3(signature = (name, timeout, wait=0.0))]
fn describe<'py>(
    py: Python<'py>,
    name: &str,
    timeout: f64,
    wait: f64,
) -> PyResult<(&'static str, Bound<'py, PyAny>, usize)> {
    let options = open_options(timeout, wait)?;
    let view = py
        .detach(|| Inspector::open_with(name, options))
        .map_err(|e| open_error(py, e))?;
    let tree = match view.schema() {
        Some(t) => schema_tree(py, t)?,
        None => py.None().into_bound(py),
    };
    Ok((kind_name(view.kind()), tree, view.geometry().value_size))
}

/// The bytes of `buf`, a C-contiguous buffer of `len` bytes, to read from.
fn input(buf: &PyBuffer<u8>, len: usize) -> PyResult<&[u8]> {
    if !buf.is_c_contiguous() || buf.len_bytes() != len {
        return Err(PyValueError::new_err(format!(
            "expected a contiguous buffer of {len} bytes, got {} bytes",
            buf.len_bytes()
        )));
    }
    // SAFETY: the buffer is C-contiguous and `len` bytes long (checked above), and stays
    // exported (its object alive and unresizable) while `buf` lives, which outlives the
    // slice. The GIL is held for the slice's whole life (no `detach` while it exists), so no
    // Python code writes the buffer meanwhile.
    Ok(unsafe { std::slice::from_raw_parts(buf.buf_ptr().cast::<u8>(), len) })
}

/// The bytes of `buf`, a writable C-contiguous buffer of `len` bytes, to write to. Taking
/// `&mut` makes this the only slice made from `buf`; callers with two output buffers check
/// that they do not overlap ([`disjoint`]).
fn output(buf: &mut PyBuffer<u8>, len: usize) -> PyResult<&mut [u8]> {
    if buf.readonly() {
        return Err(PyValueError::new_err("the output buffer is read-only"));
    }
    input(buf, len)?;
    // SAFETY: as in `input`, and the buffer is writable; no other slice over these bytes
    // exists while this one lives (`&mut buf`, and `disjoint` for a second buffer).
    Ok(unsafe { std::slice::from_raw_parts_mut(buf.buf_ptr().cast::<u8>(), len) })
}

/// Whether the memory of two buffers does not overlap.
fn disjoint(a: &PyBuffer<u8>, b: &PyBuffer<u8>) -> bool {
    let (a0, b0) = (a.buf_ptr() as usize, b.buf_ptr() as usize);
    a0.saturating_add(a.len_bytes()) <= b0 || b0.saturating_add(b.len_bytes()) <= a0
}

// ---- publisher ---------------------------------------------------------------------------

/// The single writer of a segment (see `rtshm.Publisher`).
#[pyclass(module = "rtshm._native")]
struct RawWriter {
    inner: Option<RawPublisher>,
}

impl RawWriter {
    fn get(&mut self) -> PyResult<&mut RawPublisher> {
        self.inner
            .as_mut()
            .ok_or_else(|| PyRuntimeError::new_err("the publisher is closed"))
    }
}

#[pymethods]
impl RawWriter {
    /// Creates the segment; with `recover_timeout` (seconds), takes over or replaces an
    /// existing one as `RawPublisher::create_or_recover` does.
    #[staticmethod]
    #[pyo3(signature = (name, kind, size, align, schema, descriptor, capacity, mode, realtime_clock, recover_timeout=None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "a flat call from the Python layer"
    )]
    fn create(
        py: Python<'_>,
        name: &str,
        kind: &str,
        size: usize,
        align: usize,
        schema: Option<u64>,
        descriptor: Option<Vec<u8>>,
        capacity: usize,
        mode: u32,
        realtime_clock: bool,
        recover_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let ty = raw_type(kind, size, align, schema, descriptor.as_deref())?;
        let create = create_options(mode, realtime_clock);
        let inner = match recover_timeout {
            None => RawPublisher::create(name, &ty, capacity, create)
                .map_err(|e| create_error(py, e))?,
            Some(timeout) => {
                let open = open_options(timeout, 0.0)?;
                RawPublisher::create_or_recover(name, &ty, capacity, (create, open))
                    .map_err(|e| takeover_error(py, e))?
            }
        };
        Ok(Self { inner: Some(inner) })
    }

    #[staticmethod]
    #[allow(
        clippy::too_many_arguments,
        reason = "a flat call from the Python layer"
    )]
    fn open_existing(
        py: Python<'_>,
        name: &str,
        kind: &str,
        size: usize,
        align: usize,
        schema: Option<u64>,
        descriptor: Option<Vec<u8>>,
        timeout: f64,
    ) -> PyResult<Self> {
        let ty = raw_type(kind, size, align, schema, descriptor.as_deref())?;
        let options = open_options(timeout, 0.0)?;
        let inner =
            RawPublisher::open_existing(name, &ty, options).map_err(|e| takeover_error(py, e))?;
        Ok(Self { inner: Some(inner) })
    }

    fn store(&mut self, py: Python<'_>, value: PyBuffer<u8>) -> PyResult<u64> {
        let publisher = self.get()?;
        let bytes = input(&value, publisher.geometry().value_size)?;
        let version = publisher.store(bytes).map_err(|e| raw_error(py, e))?;
        Ok(version.get())
    }

    fn push(&mut self, py: Python<'_>, value: PyBuffer<u8>) -> PyResult<u64> {
        let publisher = self.get()?;
        let bytes = input(&value, publisher.geometry().value_size)?;
        publisher.push(bytes).map_err(|e| raw_error(py, e))
    }

    fn push_stamped(
        &mut self,
        py: Python<'_>,
        stamp: u64,
        seq: u64,
        value: PyBuffer<u8>,
    ) -> PyResult<u64> {
        let publisher = self.get()?;
        let bytes = input(&value, publisher.geometry().value_size)?;
        publisher
            .push_stamped(Timestamp::from_nanos(stamp), seq, bytes)
            .map_err(|e| raw_error(py, e))
    }

    fn heartbeat(&mut self) -> PyResult<()> {
        self.get()?.heartbeat();
        Ok(())
    }

    fn persist(&mut self) -> PyResult<()> {
        self.get()?.persist();
        Ok(())
    }

    fn epoch(&mut self) -> PyResult<u64> {
        Ok(self.get()?.epoch())
    }

    fn written(&mut self) -> PyResult<u64> {
        Ok(self.get()?.written())
    }

    /// Releases the segment now (unlinks it unless persisted); later calls raise.
    fn close(&mut self) {
        self.inner = None;
    }
}

// ---- subscriber --------------------------------------------------------------------------

/// A reader of a segment (see `rtshm.Subscriber`). Frozen: every method takes `&self`, so
/// one thread may wait while others read.
#[pyclass(module = "rtshm._native", frozen)]
struct RawReader {
    inner: Inspector,
    record_size: usize,
}

#[pymethods]
impl RawReader {
    #[staticmethod]
    #[allow(
        clippy::too_many_arguments,
        reason = "a flat call from the Python layer"
    )]
    #[pyo3(signature = (name, kind, size, align, schema, descriptor, timeout, wait=0.0))]
    fn open(
        py: Python<'_>,
        name: &str,
        kind: &str,
        size: usize,
        align: usize,
        schema: Option<u64>,
        descriptor: Option<Vec<u8>>,
        timeout: f64,
        wait: f64,
    ) -> PyResult<Self> {
        let ty = raw_type(kind, size, align, schema, descriptor.as_deref())?;
        let options = open_options(timeout, wait)?;
        // Opening may wait for an initializing creator: let other threads run.
        let inner = py
            .detach(|| Inspector::open_as(name, &ty, options))
            .map_err(|e| open_error(py, e))?;
        let record_size = inner.geometry().payload_size;
        Ok(Self { inner, record_size })
    }

    /// Bytes of a stored record (the value, or for a time series the stamped record).
    #[getter]
    fn record_size(&self) -> usize {
        self.record_size
    }

    /// Offset of the value in a time series record.
    #[getter]
    fn value_offset(&self) -> usize {
        match self.inner.kind() {
            Kind::TimeSeries => self.inner.geometry().stamped_value_at(),
            _ => 0,
        }
    }

    #[getter]
    fn capacity(&self) -> usize {
        self.inner.geometry().capacity
    }

    #[getter]
    fn kind(&self) -> &'static str {
        kind_name(self.inner.kind())
    }

    fn written(&self) -> u64 {
        self.inner.written()
    }

    fn latest_into(&self, py: Python<'_>, mut out: PyBuffer<u8>) -> PyResult<Option<u64>> {
        let dst = output(&mut out, self.record_size)?;
        self.inner.latest_into(dst).map_err(|Busy| busy(py))
    }

    fn get_into(&self, py: Python<'_>, number: u64, mut out: PyBuffer<u8>) -> PyResult<()> {
        let dst = output(&mut out, self.record_size)?;
        self.inner
            .get_into(number, dst)
            .map_err(|e| get_error(py, e))
    }

    /// `(new position, write number read or None, values missed)`.
    fn next_into(&self, position: u64, mut out: PyBuffer<u8>) -> PyResult<(u64, Option<u64>, u64)> {
        let dst = output(&mut out, self.record_size)?;
        let mut position = position;
        Ok(match self.inner.next_into(&mut position, dst) {
            Ok(read) => (position, read, 0),
            Err(lapped) => (position, None, lapped.missed),
        })
    }

    /// Blocks, with the GIL released, until more than `written` values were written; returns
    /// the new count, or `None` after `timeout` seconds.
    fn wait_beyond(&self, py: Python<'_>, written: u64, timeout: f64) -> PyResult<Option<u64>> {
        let timeout = seconds(timeout)?;
        let inner = &self.inner;
        Ok(py.detach(|| inner.wait_beyond(written, timeout)))
    }

    fn closest_into(
        &self,
        py: Python<'_>,
        t: u64,
        max_distance: u64,
        mut out: PyBuffer<u8>,
    ) -> PyResult<bool> {
        let dst = output(&mut out, self.record_size)?;
        self.inner
            .closest_into(
                Timestamp::from_nanos(t),
                Duration::from_nanos(max_distance),
                dst,
            )
            .map_err(|Busy| busy(py))
    }

    fn pair_into(
        &self,
        py: Python<'_>,
        t: u64,
        mut before: PyBuffer<u8>,
        mut after: PyBuffer<u8>,
    ) -> PyResult<f64> {
        if !disjoint(&before, &after) {
            return Err(PyValueError::new_err("before and after must not overlap"));
        }
        let before = output(&mut before, self.record_size)?;
        let after = output(&mut after, self.record_size)?;
        self.inner
            .interpolation_pair_into(Timestamp::from_nanos(t), before, after)
            .map_err(|e| interpolation_error(py, e))
    }

    /// `(state, heartbeat age in seconds or None)`; state is 'alive', 'stale', 'dead' or
    /// 'unowned'.
    fn writer_status(&self, threshold: f64) -> PyResult<(&'static str, Option<f64>)> {
        Ok(status(self.inner.writer_status(seconds(threshold)?)))
    }

    fn writer_pid(&self) -> Option<i32> {
        self.inner.writer_pid()
    }

    fn epoch(&self) -> u64 {
        self.inner.epoch()
    }

    fn fingerprint(&self) -> u64 {
        self.inner.header().fingerprint
    }
}

/// A writer status as Python sees it: `(state, heartbeat age in seconds or None)`.
fn status(status: WriterStatus) -> (&'static str, Option<f64>) {
    match status {
        WriterStatus::Alive { age } => ("alive", Some(age.as_secs_f64())),
        WriterStatus::Stale { age } => ("stale", Some(age.as_secs_f64())),
        WriterStatus::Dead => ("dead", None),
        WriterStatus::Unknown { age } => ("unknown", Some(age.as_secs_f64())),
        _ => ("unowned", None),
    }
}

// ---- module functions --------------------------------------------------------------------

/// The schema id named `name` (the same as Rust's `rtshm::layout::schema_id`).
#[pyfunction]
fn schema_id(name: &str) -> u64 {
    rtshm::layout::schema_id(name)
}

/// The monotonic clock's now, in nanoseconds (the clock stamps default to).
#[pyfunction]
fn monotonic_ns() -> u64 {
    Timestamp::now().as_nanos()
}

/// Every rtshm segment in /dev/shm: a list of dicts (an `error` key for a corrupt one).
#[pyfunction]
fn list_segments(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    let listed = rtshm::shm::list().map_err(|e| error(py, "RtshmError", e.to_string(), &[]))?;
    listed
        .into_iter()
        .map(|entry| {
            let d = PyDict::new(py);
            d.set_item("name", &entry.name)?;
            match entry.info {
                Ok(info) => {
                    d.set_item("kind", kind_name(info.kind))?;
                    d.set_item("record_size", info.payload_size)?;
                    d.set_item("capacity", info.capacity)?;
                    d.set_item("fingerprint", info.fingerprint)?;
                    d.set_item("size", info.len)?;
                    d.set_item("created_ns", info.created_ns)?;
                    d.set_item("written", info.writes)?;
                    let (state, age) = status(info.writer);
                    d.set_item("writer", state)?;
                    d.set_item("heartbeat_age", age)?;
                    d.set_item("writer_pid", info.writer_pid)?;
                    d.set_item("epoch", info.epoch)?;
                }
                Err(e) => d.set_item("error", e.to_string())?,
            }
            Ok(d)
        })
        .collect()
}

/// Unlinks the named segment.
#[pyfunction]
fn remove(py: Python<'_>, name: &str) -> PyResult<()> {
    rtshm::shm::remove(name).map_err(|e| open_error(py, e))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RawWriter>()?;
    m.add_class::<RawReader>()?;
    m.add_function(wrap_pyfunction!(schema_id, m)?)?;
    m.add_function(wrap_pyfunction!(encode_schema, m)?)?;
    m.add_function(wrap_pyfunction!(decode_schema, m)?)?;
    m.add_function(wrap_pyfunction!(schema_fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(describe, m)?)?;
    m.add_function(wrap_pyfunction!(monotonic_ns, m)?)?;
    m.add_function(wrap_pyfunction!(list_segments, m)?)?;
    m.add_function(wrap_pyfunction!(remove, m)?)?;
    Ok(())
}
