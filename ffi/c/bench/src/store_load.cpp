// The C++ side of benches/c_abi.rs: a publisher and a subscriber of a 64-byte struct through
// rtshm.hpp, as a C++ node holds them.
#include <cstdint>
#include <cstdio>
#include <new>

#include <rtshm.hpp>

struct Payload64 {
  uint64_t words[8];
};
RTSHM_SCHEMA(Payload64, RTSHM_FIELD(Payload64, words));

struct Pair {
  rtshm::Publisher<rtshm::SeqLock<Payload64>> pub;
  rtshm::Subscriber<rtshm::SeqLock<Payload64>> sub;
};

extern "C" {

// Creates the segment `name` and opens it; NULL on an error (printed).
void* rtshm_bench_cpp_open(const char* name) {
  try {
    auto pub = rtshm::Publisher<rtshm::SeqLock<Payload64>>::create(name);
    auto sub = rtshm::Subscriber<rtshm::SeqLock<Payload64>>::open(name);
    return new Pair{std::move(pub), std::move(sub)};
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rtshm_bench_cpp_open: %s\n", e.what());
    return nullptr;
  }
}

// One store of a value made from `i`, then one load; returns a word of what was loaded.
uint64_t rtshm_bench_cpp_store_load(void* pair, uint64_t i) {
  auto* p = static_cast<Pair*>(pair);
  Payload64 v;
  for (auto& w : v.words) w = i;
  p->pub.store(v);
  return p->sub.load()->words[7];
}

void rtshm_bench_cpp_close(void* pair) { delete static_cast<Pair*>(pair); }
}
