// rtshm.hpp: RAII, exceptions carrying the C error (the field named), std::optional for
// "nothing yet", std::chrono timeouts, nested schemas deduced by RTSHM_FIELD.
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>
#include <utility>

#include <rtshm.hpp>

namespace robot {
struct Vec3 {
  double x, y, z;
};
struct Pose {
  uint64_t frame;
  Vec3 position;
  float orientation[4];
  int16_t grid[2][3];
  uint8_t spare[4];
};
struct Other {  // Pose with a field renamed
  uint64_t frame;
  Vec3 position;
  float attitude[4];
  int16_t grid[2][3];
  uint8_t spare[4];
};
}  // namespace robot

RTSHM_SCHEMA(robot::Vec3, RTSHM_FIELD(robot::Vec3, x), RTSHM_FIELD(robot::Vec3, y),
             RTSHM_FIELD(robot::Vec3, z));
RTSHM_SCHEMA(robot::Pose, RTSHM_FIELD(robot::Pose, frame), RTSHM_FIELD(robot::Pose, position),
             RTSHM_FIELD(robot::Pose, orientation), RTSHM_FIELD(robot::Pose, grid),
             RTSHM_FIELD(robot::Pose, spare));
RTSHM_SCHEMA(robot::Other, RTSHM_FIELD(robot::Other, frame), RTSHM_FIELD(robot::Other, position),
             RTSHM_FIELD(robot::Other, attitude), RTSHM_FIELD(robot::Other, grid),
             RTSHM_FIELD(robot::Other, spare));

namespace {

using namespace std::chrono_literals;
int failures = 0;

#define EXPECT(cond)                                                              \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);    \
      failures++;                                                                 \
    }                                                                             \
  } while (0)

template <class F>
std::string error_of(F f, rtshm_status expected) {
  try {
    f();
  } catch (const rtshm::Error& e) {
    EXPECT(e.status() == expected);
    return e.what();
  }
  EXPECT(!"an rtshm::Error");
  return "";
}

std::string name(const char* what) { return "cpp-unit-" + std::to_string(getpid()) + "-" + what; }

void seqlock() {
  using robot::Pose;
  EXPECT(std::strcmp(rtshm::schema<Pose>::type.name, "Pose") == 0);
  EXPECT(rtshm_type_check(&rtshm::schema<Pose>::type) == RTSHM_OK);
  auto pub = rtshm::Publisher<rtshm::SeqLock<Pose>>::create(name("lock"));
  auto sub = rtshm::Subscriber<rtshm::SeqLock<Pose>>::open(name("lock"));
  EXPECT(!sub.load());
  Pose p{42, {1, 2, 3}, {0, 0, 0, 1}, {{1, 2, 3}, {4, 5, 6}}, {9, 9, 9, 9}};
  EXPECT(pub.store(p) == 1);
  uint64_t version = 0;
  auto got = sub.load(&version);
  EXPECT(got && std::memcmp(&*got, &p, sizeof p) == 0 && version == 1);
  EXPECT(!sub.wait_newer(version, 5ms));
  p.frame = 43;
  pub.store(p);
  auto newer = sub.wait_newer(version, 1s);
  EXPECT(newer && newer->frame == 43 && version == 2);
  EXPECT(sub.writer_status().state == RTSHM_WRITER_ALIVE);

  // The wrong struct is refused, the field named.
  auto what = error_of([] { rtshm::Subscriber<rtshm::SeqLock<robot::Other>>::open(name("lock")); },
                       RTSHM_ERR_TYPE_MISMATCH);
  EXPECT(what.find("attitude") != std::string::npos);
  error_of([] { rtshm::Subscriber<rtshm::Ring<Pose>>::open(name("lock")); },
           RTSHM_ERR_KIND_MISMATCH);
  error_of([] { rtshm::Publisher<rtshm::SeqLock<Pose>>::create(name("lock")); },
           RTSHM_ERR_ALREADY_EXISTS);
  error_of([] { rtshm::Subscriber<rtshm::SeqLock<Pose>>::open(name("none"), 10ms); },
           RTSHM_ERR_NOT_FOUND);

  // Moving keeps one owner; the moved-from publisher's destructor releases nothing.
  auto moved = std::move(pub);
  EXPECT(moved.written() == 2);
}

void ring_and_series() {
  auto pub = rtshm::Publisher<rtshm::Ring<robot::Vec3>>::create(name("ring"), 8);
  auto sub = rtshm::Subscriber<rtshm::Ring<robot::Vec3>>::open(name("ring"));
  auto cursor = sub.cursor_from_next();
  EXPECT(!sub.next(cursor));
  EXPECT(!sub.wait_next(cursor, 2ms));
  for (int i = 0; i < 20; i++) pub.push({double(i), 0, 0});
  auto v = sub.next(cursor);  // 12 overwritten: skipped and counted
  EXPECT(v && v->x == 12 && cursor.missed() == 12);
  EXPECT(sub.get(19).x == 19);
  error_of([&] { sub.get(0); }, RTSHM_ERR_OVERWRITTEN);
  error_of([&] { sub.get(20); }, RTSHM_ERR_NOT_YET);
  auto latest = sub.latest();
  EXPECT(latest && latest->x == 19);

  auto series = rtshm::Publisher<rtshm::TimeSeries<robot::Vec3>>::create(name("series"), 256);
  auto reader = rtshm::Subscriber<rtshm::TimeSeries<robot::Vec3>>::open(name("series"));
  EXPECT(!reader.interpolation_pair(5));
  for (uint64_t i = 0; i < 200; i++) series.push({10 * (i + 1), i, {double(i), 0, 0}});
  error_of([&] { series.push({5, 0, {}}); }, RTSHM_ERR_NON_MONOTONIC);
  auto near = reader.closest(104, std::chrono::nanoseconds(5));
  EXPECT(near && near->stamp_ns == 100 && near->value.x == 9);
  auto pair = reader.interpolation_pair(105);
  EXPECT(pair && pair->before.stamp_ns == 100 && pair->after.stamp_ns == 110 && pair->alpha == 0.5);
  error_of([&] { reader.interpolation_pair(5000); }, RTSHM_ERR_OUT_OF_RANGE);
  auto window = reader.range(10, 2000);  // all 200: more than one buffer of 64
  EXPECT(window.size() == 200 && window.front().seq == 0 && window.back().seq == 199);
}

}  // namespace

int main() {
  try {
    seqlock();
    ring_and_series();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unit_cpp: unexpected %s\n", e.what());
    return 1;
  }
  if (failures) {
    std::fprintf(stderr, "unit_cpp: %d failures\n", failures);
    return 1;
  }
  std::printf("unit_cpp: all passed\n");
  return 0;
}
