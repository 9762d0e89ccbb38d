// rtshm.hpp: the C++17 API of rtshm, header-only, over the C API of rtshm.h.
//
// RAII publishers and subscribers of trivially copyable, standard-layout structs, std::chrono
// timeouts, std::optional for "nothing yet", and exceptions (rtshm::Error) carrying the C
// status and message. The segments are the ones Rust, Python and C programs use.
//
//   #include <rtshm.hpp>
//
//   struct Imu { double accel[3]; double gyro[3]; uint64_t count; };
//   RTSHM_SCHEMA(Imu, RTSHM_FIELD(Imu, accel), RTSHM_FIELD(Imu, gyro), RTSHM_FIELD(Imu, count));
//
//   auto pub = rtshm::Publisher<rtshm::SeqLock<Imu>>::create("imu");
//   pub.store(Imu{{0, 0, 9.81}, {}, 1});
//   auto sub = rtshm::Subscriber<rtshm::SeqLock<Imu>>::open("imu");
//   if (std::optional<Imu> imu = sub.load()) { /* imu->accel[2] == 9.81 */ }
//
// The schema (RTSHM_SCHEMA, or `rtshm codegen --lang cpp NAME` for a segment that exists) is
// compared with the segment's at open: a struct that differs is refused, the field named.
//
// Thread safety: a Publisher is used by one thread at a time; a Subscriber's methods are
// const and may be called from any number of threads at once; a Cursor belongs to one thread.
#ifndef RTSHM_HPP
#define RTSHM_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "rtshm.h"

namespace rtshm {

// ---- errors ------------------------------------------------------------------------------

/// An rtshm call failed: `status()` is the C status, `what()` its name and message (which
/// names the field when a struct differs from the segment's).
class Error : public std::runtime_error {
 public:
  Error(rtshm_status status, const std::string& message)
      : std::runtime_error(std::string(rtshm_status_name(status)) + ": " + message),
        status_(status) {}
  rtshm_status status() const noexcept { return status_; }

 private:
  rtshm_status status_;
};

namespace detail {

/// Throws for an error status; returns the others (outcomes) to the caller.
inline rtshm_status check(rtshm_status status) {
  if (status >= RTSHM_ERR_INVALID_ARGUMENT) throw Error(status, rtshm_last_error());
  if (status == RTSHM_BUSY) throw Error(status, "the writer kept changing the value; retry");
  return status;
}

template <class Rep, class Period>
uint64_t nanos(std::chrono::duration<Rep, Period> d) {
  const auto n = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return n < 0 ? 0 : static_cast<uint64_t>(n);
}

/// Closes a C handle (the deleter of the `std::unique_ptr`s that own them).
struct Close {
  void operator()(rtshm_publisher* p) const noexcept { rtshm_publisher_close(p); }
  void operator()(rtshm_subscriber* s) const noexcept { rtshm_subscriber_close(s); }
};

/// The name after the last `::` (a schema names a struct without its namespace).
constexpr const char* unqualified(const char* name) {
  const char* last = name;
  for (const char* p = name; *p != '\0'; ++p) {
    if (p[0] == ':' && p[1] == ':') last = p + 2;
  }
  return last;
}

}  // namespace detail

// ---- schemas -----------------------------------------------------------------------------

/// The schema of a payload struct: specialize with `static constexpr rtshm_type type`
/// (RTSHM_SCHEMA does it; `rtshm codegen --lang cpp` prints one).
template <class T>
struct schema;

namespace detail {

template <class T>
constexpr rtshm_prim prim_of() {
  if constexpr (std::is_same_v<T, uint8_t>) return RTSHM_U8;
  else if constexpr (std::is_same_v<T, uint16_t>) return RTSHM_U16;
  else if constexpr (std::is_same_v<T, uint32_t>) return RTSHM_U32;
  else if constexpr (std::is_same_v<T, uint64_t>) return RTSHM_U64;
  else if constexpr (std::is_same_v<T, int8_t>) return RTSHM_I8;
  else if constexpr (std::is_same_v<T, int16_t>) return RTSHM_I16;
  else if constexpr (std::is_same_v<T, int32_t>) return RTSHM_I32;
  else if constexpr (std::is_same_v<T, int64_t>) return RTSHM_I64;
  else if constexpr (std::is_same_v<T, float>) return RTSHM_F32;
  else if constexpr (std::is_same_v<T, double>) return RTSHM_F64;
  else {
    static_assert(std::is_class_v<T>,
                  "a field is a fixed-width number (uint8_t ... int64_t, float, double), an "
                  "array of them, or a struct with an rtshm::schema");
    return RTSHM_STRUCT;
  }
}

template <class T>
constexpr const rtshm_type* nested_of() {
  if constexpr (prim_of<T>() == RTSHM_STRUCT) return &schema<T>::type;
  else return nullptr;
}

}  // namespace detail

/// The table entry of a member of type `M` (a number, a struct with a schema, or C arrays of
/// them up to RTSHM_MAX_DIMS dimensions) named `name` at `offset`. Use RTSHM_FIELD.
template <class M>
constexpr rtshm_field make_field(const char* name, size_t offset) {
  using Base = std::remove_all_extents_t<M>;
  static_assert(std::rank_v<M> <= RTSHM_MAX_DIMS, "too many array dimensions");
  return rtshm_field{name,
                     detail::prim_of<Base>(),
                     offset,
                     {static_cast<uint32_t>(std::extent_v<M, 0>),
                      static_cast<uint32_t>(std::extent_v<M, 1>),
                      static_cast<uint32_t>(std::extent_v<M, 2>),
                      static_cast<uint32_t>(std::extent_v<M, 3>)},
                     detail::nested_of<Base>()};
}

/// The schema table entry of `Type::member`: name, type and array lengths from the
/// declaration, offset from offsetof.
#define RTSHM_FIELD(Type, member) \
  ::rtshm::make_field<decltype(Type::member)>(#member, offsetof(Type, member))

/// Declares the schema of `Type` (at namespace scope, outside any namespace): its fields in
/// declaration order, each RTSHM_FIELD(Type, member).
#define RTSHM_SCHEMA(Type, ...)                                                              \
  template <>                                                                                \
  struct rtshm::schema<Type> {                                                               \
    static constexpr rtshm_field fields[] = {__VA_ARGS__};                                   \
    static constexpr rtshm_type type = {::rtshm::detail::unqualified(#Type), sizeof(Type),   \
                                        alignof(Type), fields,                               \
                                        sizeof(fields) / sizeof(fields[0])};                 \
  }

namespace detail {

template <class T>
constexpr void check_payload() {
  static_assert(std::is_trivially_copyable_v<T>, "a payload is trivially copyable");
  static_assert(std::is_standard_layout_v<T>, "a payload has standard layout");
  static_assert(sizeof(T) == schema<T>::type.size, "the schema's size is not sizeof(T)");
  static_assert(alignof(T) == schema<T>::type.align, "the schema's alignment is not alignof(T)");
}

}  // namespace detail

// ---- kinds -------------------------------------------------------------------------------

/// The latest value of `T`.
template <class T>
struct SeqLock {};
/// Every value of `T`, lap-checked.
template <class T>
struct Ring {};
/// Values of `T` stamped in nanoseconds, queried by time.
template <class T>
struct TimeSeries {};

/// A time-series record: Rust's `rtshm::Stamped<T>`, the same layout.
template <class T>
struct Stamped {
  uint64_t stamp_ns;
  uint64_t seq;
  T value;
};

/// The two records around a time, and how far it lies from one to the other (0..1).
template <class T>
struct Interpolation {
  Stamped<T> before;
  Stamped<T> after;
  double alpha;
};

/// A reader's place in a ring or time series (see Subscriber::cursor_from_oldest).
class Cursor {
 public:
  explicit Cursor(rtshm_cursor c) : c_(c) {}
  /// The write number read next.
  uint64_t position() const noexcept { return c_.position; }
  /// Values the writer overwrote before this cursor read them.
  uint64_t missed() const noexcept { return c_.missed; }
  rtshm_cursor* raw() noexcept { return &c_; }

 private:
  rtshm_cursor c_;
};

/// The clock stamps default to (CLOCK_MONOTONIC), now, in nanoseconds.
inline uint64_t now_ns() { return rtshm_now_ns(); }

// ---- publishers ---------------------------------------------------------------------------

template <class K>
class Publisher;

namespace detail {

/// What every publisher of `T` in a segment of `Kind` has: ownership of the C handle, the
/// factories (`Derived` is the publisher class they make), liveness, persistence.
template <class Derived, class T, rtshm_kind Kind>
class PublisherBase {
 public:
  /// Creates the named segment with `capacity` slots (a power of two); throws rtshm::Error
  /// (RTSHM_ERR_ALREADY_EXISTS, ...).
  static Derived create(const std::string& name, size_t capacity,
                        const rtshm_create_options& options = {}) {
    return Derived(made(rtshm_publisher_create, name, capacity, options));
  }
  /// Creates it, or takes it over from a dead writer (it must have `capacity` slots): how a
  /// node that may restart starts.
  static Derived create_or_recover(const std::string& name, size_t capacity,
                                   const rtshm_create_options& options = {}) {
    return Derived(made(rtshm_publisher_create_or_recover, name, capacity, options));
  }
  /// Takes over the segment of a writer that died or exited (RTSHM_ERR_WRITER_ALIVE while it
  /// lives).
  static Derived open_existing(const std::string& name, const rtshm_open_options& options = {}) {
    check_payload<T>();
    rtshm_publisher* p = nullptr;
    check(rtshm_publisher_open_existing(name.c_str(), Kind, &schema<T>::type, &options, &p));
    return Derived(p);
  }

  /// Keeps the segment after this publisher is destroyed.
  void persist() { check(rtshm_publisher_persist(p_.get())); }
  /// Refreshes the writer's heartbeat (writes refresh it too).
  void heartbeat() { check(rtshm_publisher_heartbeat(p_.get())); }
  /// Values written so far.
  uint64_t written() const { return rtshm_publisher_written(p_.get()); }
  /// Takeovers the segment has seen.
  uint64_t epoch() const { return rtshm_publisher_epoch(p_.get()); }
  /// The C handle (still owned by this object).
  rtshm_publisher* raw() const noexcept { return p_.get(); }

 protected:
  explicit PublisherBase(rtshm_publisher* p) : p_(p) {}

  using Create = rtshm_status (*)(const char*, rtshm_kind, const rtshm_type*, size_t,
                                  const rtshm_create_options*, rtshm_publisher**);
  static rtshm_publisher* made(Create create, const std::string& name, size_t capacity,
                               const rtshm_create_options& options) {
    check_payload<T>();
    rtshm_publisher* p = nullptr;
    check(create(name.c_str(), Kind, &schema<T>::type, capacity, &options, &p));
    return p;
  }

  /// The C handle, closed with this publisher (which unlinks the segment unless persist()
  /// was called); move-only.
  std::unique_ptr<rtshm_publisher, Close> p_;
};

}  // namespace detail

/// The single writer of a SeqLock segment of `T` (one slot: `create` takes no capacity).
template <class T>
class Publisher<SeqLock<T>> : public detail::PublisherBase<Publisher<SeqLock<T>>, T, RTSHM_SEQLOCK> {
  using Base = detail::PublisherBase<Publisher, T, RTSHM_SEQLOCK>;
  friend Base;

 public:
  /// Creates the named segment (throws rtshm::Error, e.g. RTSHM_ERR_ALREADY_EXISTS).
  static Publisher create(const std::string& name, const rtshm_create_options& options = {}) {
    return Publisher(Base::made(rtshm_publisher_create, name, 1, options));
  }
  /// Creates it, or takes it over from a dead writer: how a restartable node starts.
  static Publisher create_or_recover(const std::string& name,
                                     const rtshm_create_options& options = {}) {
    return Publisher(Base::made(rtshm_publisher_create_or_recover, name, 1, options));
  }
  /// Stores `value`; returns the number of stores so far. Never blocks.
  uint64_t store(const T& value) {
    uint64_t version = 0;
    detail::check(rtshm_publisher_store(this->p_.get(), &value, sizeof(T), &version));
    return version;
  }

 private:
  using Base::Base;
};

/// The single writer of a Ring segment of `T`.
template <class T>
class Publisher<Ring<T>> : public detail::PublisherBase<Publisher<Ring<T>>, T, RTSHM_RING> {
  using Base = detail::PublisherBase<Publisher, T, RTSHM_RING>;
  friend Base;

 public:
  /// Appends `value`, overwriting the oldest when full; returns its write number.
  uint64_t push(const T& value) {
    uint64_t number = 0;
    detail::check(rtshm_publisher_push(this->p_.get(), &value, sizeof(T), &number));
    return number;
  }

 private:
  using Base::Base;
};

/// The single writer of a TimeSeries segment of `T`.
template <class T>
class Publisher<TimeSeries<T>>
    : public detail::PublisherBase<Publisher<TimeSeries<T>>, T, RTSHM_TIMESERIES> {
  using Base = detail::PublisherBase<Publisher, T, RTSHM_TIMESERIES>;
  friend Base;

 public:
  /// Appends `sample` (a stamp earlier than the last throws RTSHM_ERR_NON_MONOTONIC);
  /// returns its write number.
  uint64_t push(const Stamped<T>& sample) {
    uint64_t number = 0;
    detail::check(rtshm_publisher_push_stamped(this->p_.get(), sample.stamp_ns, sample.seq,
                                               &sample.value, sizeof(T), &number));
    return number;
  }

 private:
  using Base::Base;
};

// ---- subscribers -------------------------------------------------------------------------

template <class K>
class Subscriber;

namespace detail {

/// What every subscriber has; `Record` is what a read returns (`T`, or `Stamped<T>`), and
/// `Derived` the subscriber class `open` makes.
template <class Derived, class T, class Record, rtshm_kind Kind>
class SubscriberBase {
 public:
  /// Opens the named segment (throws rtshm::Error: RTSHM_ERR_NOT_FOUND,
  /// RTSHM_ERR_TYPE_MISMATCH naming the field, ...).
  static Derived open(const std::string& name, const rtshm_open_options& options = {}) {
    check_payload<T>();
    rtshm_subscriber* s = nullptr;
    check(rtshm_subscriber_open(name.c_str(), Kind, &schema<T>::type, &options, &s));
    return Derived(s);
  }
  /// Opens it, waiting up to `wait` for a publisher that starts later.
  template <class Rep, class Period>
  static Derived open(const std::string& name, std::chrono::duration<Rep, Period> wait) {
    rtshm_open_options options{};
    options.wait_for_creation_ns = nanos(wait);
    return open(name, options);
  }

  /// The newest value (nullopt before the first write); `*number` gets its write number.
  std::optional<Record> latest(uint64_t* number = nullptr) const {
    Record r;
    if (check(rtshm_subscriber_latest(s_.get(), &r, sizeof r, number)) == RTSHM_NOTHING) {
      return std::nullopt;
    }
    return r;
  }

  /// The value of write number `number` (throws RTSHM_ERR_OVERWRITTEN / RTSHM_ERR_NOT_YET).
  Record get(uint64_t number) const {
    Record r;
    check(rtshm_subscriber_get(s_.get(), number, &r, sizeof r));
    return r;
  }

  Cursor cursor_from_oldest() const { return Cursor(rtshm_subscriber_cursor(s_.get(), RTSHM_FROM_OLDEST)); }
  Cursor cursor_from_newest() const { return Cursor(rtshm_subscriber_cursor(s_.get(), RTSHM_FROM_NEWEST)); }
  Cursor cursor_from_next() const { return Cursor(rtshm_subscriber_cursor(s_.get(), RTSHM_FROM_NEXT)); }

  /// The cursor's next value, or nullopt when nothing new was written. Values the writer
  /// overwrote first are skipped and counted in `cursor.missed()`.
  std::optional<Record> next(Cursor& cursor) const {
    Record r;
    for (;;) {
      switch (check(rtshm_subscriber_next(s_.get(), cursor.raw(), &r, sizeof r, nullptr))) {
        case RTSHM_OK: return r;
        case RTSHM_LAPPED: continue;
        default: return std::nullopt;
      }
    }
  }

  /// next(), sleeping (no polling) until a value comes or `timeout` passes (nullopt).
  template <class Rep, class Period>
  std::optional<Record> wait_next(Cursor& cursor, std::chrono::duration<Rep, Period> timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Record r;
    for (;;) {
      const auto left = deadline - std::chrono::steady_clock::now();
      switch (check(rtshm_subscriber_next_wait(s_.get(), cursor.raw(), &r, sizeof r, nanos(left), nullptr))) {
        case RTSHM_OK: return r;
        case RTSHM_LAPPED: continue;
        default: return std::nullopt;
      }
    }
  }

  /// Sleeps until more than `written` values were written (returns the new count) or
  /// `timeout` passes (nullopt).
  template <class Rep, class Period>
  std::optional<uint64_t> wait_beyond(uint64_t written, std::chrono::duration<Rep, Period> timeout) const {
    uint64_t now = 0;
    if (check(rtshm_subscriber_wait_beyond(s_.get(), written, nanos(timeout), &now)) != RTSHM_OK) {
      return std::nullopt;
    }
    return now;
  }

  /// The writer's liveness; alive while its heartbeat is younger than `threshold`.
  template <class Rep = int64_t, class Period = std::ratio<1>>
  rtshm_writer_status writer_status(std::chrono::duration<Rep, Period> threshold = std::chrono::seconds(1)) const {
    rtshm_writer_status status{};
    check(rtshm_subscriber_writer_status(s_.get(), nanos(threshold), &status));
    return status;
  }

  uint64_t written() const { return rtshm_subscriber_written(s_.get()); }
  uint64_t epoch() const { return rtshm_subscriber_epoch(s_.get()); }
  size_t capacity() const { return rtshm_subscriber_capacity(s_.get()); }
  /// The C handle (still owned by this object).
  rtshm_subscriber* raw() const noexcept { return s_.get(); }

 protected:
  explicit SubscriberBase(rtshm_subscriber* s) : s_(s) {
    // Throwing destroys `s_`, which closes the handle.
    if (rtshm_subscriber_record_size(s_.get()) != sizeof(Record)) {
      throw Error(RTSHM_ERR_TYPE_MISMATCH, "the segment's records are not sizeof(Record)");
    }
  }

  /// The C handle, closed with this subscriber; move-only.
  std::unique_ptr<rtshm_subscriber, Close> s_;
};

}  // namespace detail

/// A reader of a SeqLock segment of `T`.
template <class T>
class Subscriber<SeqLock<T>>
    : public detail::SubscriberBase<Subscriber<SeqLock<T>>, T, T, RTSHM_SEQLOCK> {
  using Base = detail::SubscriberBase<Subscriber, T, T, RTSHM_SEQLOCK>;
  friend Base;

 public:
  /// The current value, nullopt before the first store; `*version` gets the store count.
  std::optional<T> load(uint64_t* version = nullptr) const {
    uint64_t number = 0;
    std::optional<T> v = this->latest(&number);
    if (v && version) *version = number + 1;
    return v;
  }
  /// Waits for a store newer than `version` (a count of stores, as load() gives) and reads
  /// it, updating `version`; nullopt after `timeout`.
  template <class Rep, class Period>
  std::optional<T> wait_newer(uint64_t& version, std::chrono::duration<Rep, Period> timeout) const {
    if (!this->wait_beyond(version, timeout)) return std::nullopt;
    return load(&version);
  }

 private:
  using Base::Base;
};

/// A reader of a Ring segment of `T`.
template <class T>
class Subscriber<Ring<T>> : public detail::SubscriberBase<Subscriber<Ring<T>>, T, T, RTSHM_RING> {
  using Base = detail::SubscriberBase<Subscriber, T, T, RTSHM_RING>;
  friend Base;

 private:
  using Base::Base;
};

/// A reader of a TimeSeries segment of `T`: reads return `Stamped<T>`.
template <class T>
class Subscriber<TimeSeries<T>>
    : public detail::SubscriberBase<Subscriber<TimeSeries<T>>, T, Stamped<T>, RTSHM_TIMESERIES> {
  using Base = detail::SubscriberBase<Subscriber, T, Stamped<T>, RTSHM_TIMESERIES>;
  friend Base;

 public:

  /// The sample stamped nearest to `t_ns`, if at most `max_distance` away.
  template <class Rep, class Period>
  std::optional<Stamped<T>> closest(uint64_t t_ns, std::chrono::duration<Rep, Period> max_distance) const {
    Stamped<T> r;
    const auto status = detail::check(
        rtshm_subscriber_closest(this->s_.get(), t_ns, detail::nanos(max_distance), &r, sizeof r));
    if (status != RTSHM_OK) return std::nullopt;
    return r;
  }

  /// The samples around `t_ns` for interpolation; nullopt for an empty series, throws
  /// RTSHM_ERR_OUT_OF_RANGE outside the samples.
  std::optional<Interpolation<T>> interpolation_pair(uint64_t t_ns) const {
    Interpolation<T> pair;
    const auto status = detail::check(rtshm_subscriber_interpolation_pair(
        this->s_.get(), t_ns, &pair.before, &pair.after, sizeof(Stamped<T>), &pair.alpha));
    if (status != RTSHM_OK) return std::nullopt;
    return pair;
  }

  /// The samples stamped from `t0_ns` to `t1_ns` (both included), oldest first.
  std::vector<Stamped<T>> range(uint64_t t0_ns, uint64_t t1_ns) const {
    std::vector<Stamped<T>> out(64);
    for (;;) {
      size_t n = 0;
      detail::check(rtshm_subscriber_range(this->s_.get(), t0_ns, t1_ns, out.data(),
                                           sizeof(Stamped<T>), out.size(), &n));
      // A full buffer may mean more samples: read the window again into a larger one.
      if (n < out.size() || out.size() >= this->capacity()) {
        out.resize(n);
        return out;
      }
      out.resize(out.size() * 2);
    }
  }

 private:
  using Base::Base;
};

}  // namespace rtshm

#endif  // RTSHM_HPP
