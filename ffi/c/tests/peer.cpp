// The C++ peer of the interop tests (ffi/c/tests/interop.sh): the same protocol as peer.c,
// through rtshm.hpp.
//   peer_cpp write PREFIX | peer_cpp read PREFIX
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include <rtshm.hpp>

#include "sample.h"

RTSHM_SCHEMA(Sample, RTSHM_FIELD(Sample, n), RTSHM_FIELD(Sample, position),
             RTSHM_FIELD(Sample, quality), RTSHM_FIELD(Sample, id), RTSHM_FIELD(Sample, frame),
             RTSHM_FIELD(Sample, flags));

namespace {

using namespace std::chrono_literals;

void expect(bool ok, const char* what, int line) {
  if (!ok) throw std::runtime_error("line " + std::to_string(line) + ": expected " + what);
}
#define EXPECT(cond) expect((cond), #cond, __LINE__)

bool same(const Sample& a, const Sample& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void write_all(const std::string& prefix) {
  auto lock = rtshm::Publisher<rtshm::SeqLock<Sample>>::create(prefix + "-seqlock");
  auto ring = rtshm::Publisher<rtshm::Ring<Sample>>::create(prefix + "-ring", CAPACITY);
  auto series = rtshm::Publisher<rtshm::TimeSeries<Sample>>::create(prefix + "-series", CAPACITY);
  for (uint64_t i = 0; i < COUNT; i++) {
    lock.store(sample(i));
    ring.push(sample(i));
    series.push({(i + 1) * STEP_NS, i, sample(i)});
  }
  lock.persist();
  ring.persist();
  series.persist();
}

void read_all(const std::string& prefix) {
  using rtshm::Subscriber;
  auto lock = Subscriber<rtshm::SeqLock<Sample>>::open(prefix + "-seqlock", 5s);
  auto ring = Subscriber<rtshm::Ring<Sample>>::open(prefix + "-ring", 5s);
  auto series = Subscriber<rtshm::TimeSeries<Sample>>::open(prefix + "-series", 5s);

  uint64_t version = 0;
  auto latest = lock.load(&version);
  EXPECT(latest && same(*latest, sample(COUNT - 1)) && version == COUNT);

  auto cursor = ring.cursor_from_oldest();
  for (uint64_t i = 0; i < COUNT; i++) {
    auto v = ring.wait_next(cursor, 1s);
    EXPECT(v && same(*v, sample(i)));
  }
  EXPECT(!ring.next(cursor) && cursor.missed() == 0);

  auto near = series.closest(51 * STEP_NS + 400, std::chrono::nanoseconds(STEP_NS));
  EXPECT(near && near->stamp_ns == 51 * STEP_NS && near->seq == 50 && same(near->value, sample(50)));
  auto pair = series.interpolation_pair(51 * STEP_NS + 500);
  EXPECT(pair && pair->before.seq == 50 && pair->after.seq == 51 && pair->alpha == 0.5);
  auto window = series.range(10 * STEP_NS, 20 * STEP_NS);
  EXPECT(window.size() == 11);
  for (size_t k = 0; k < window.size(); k++) {
    EXPECT(window[k].stamp_ns == (10 + k) * STEP_NS && same(window[k].value, sample(9 + k)));
  }
  for (const char* what : {"-seqlock", "-ring", "-series"}) {
    if (rtshm_remove((prefix + what).c_str()) != RTSHM_OK) throw std::runtime_error(rtshm_last_error());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s write|read PREFIX\n", argv[0]);
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "write") == 0) write_all(argv[2]);
    else if (std::strcmp(argv[1], "read") == 0) read_all(argv[2]);
    else return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "peer_cpp: %s\n", e.what());
    return 1;
  }
  return 0;
}
