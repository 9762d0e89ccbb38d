// A C++ reader of a Rust segment, compiled from `rtshm codegen --lang cpp NAME > odometry.hpp`
// (ci/c.sh runs the Rust peer `odometry NAME` first): reads the field values the Rust
// program stored, and checks that a deliberately wrong struct is refused with its field named.
//   codegen_reader NAME
#include <cstdio>
#include <string>

#include "odometry.hpp"  // generated: Odometry, Wheel, their schemas

// Odometry as a careless hand copy would have it: `covariance` misnamed, the rest the same.
struct WrongOdometry {
  uint64_t stamp;
  double pose[3];
  Wheel wheels[4];
  float covar[3][3];
  uint32_t mode;
};
RTSHM_SCHEMA(WrongOdometry, RTSHM_FIELD(WrongOdometry, stamp), RTSHM_FIELD(WrongOdometry, pose),
             RTSHM_FIELD(WrongOdometry, wheels), RTSHM_FIELD(WrongOdometry, covar),
             RTSHM_FIELD(WrongOdometry, mode));

// And with `mode` retyped.
struct RetypedOdometry {
  uint64_t stamp;
  double pose[3];
  Wheel wheels[4];
  float covariance[3][3];
  float mode;
};
RTSHM_SCHEMA(RetypedOdometry, RTSHM_FIELD(RetypedOdometry, stamp),
             RTSHM_FIELD(RetypedOdometry, pose), RTSHM_FIELD(RetypedOdometry, wheels),
             RTSHM_FIELD(RetypedOdometry, covariance), RTSHM_FIELD(RetypedOdometry, mode));

static int failures = 0;
#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "codegen_reader: expected %s\n", #cond);            \
      failures++;                                                              \
    }                                                                          \
  } while (0)

template <class T>
std::string refusal(const std::string& name) {
  try {
    rtshm::Subscriber<rtshm::SeqLock<T>>::open(name);
  } catch (const rtshm::Error& e) {
    EXPECT(e.status() == RTSHM_ERR_TYPE_MISMATCH);
    std::printf("refused as it should be: %s\n", e.what());
    return e.what();
  }
  EXPECT(!"the wrong struct to be refused");
  return "";
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string name = argv[1];
  try {
    auto sub = rtshm::Subscriber<rtshm::SeqLock<Odometry>>::open(name);
    auto odometry = sub.load();
    EXPECT(odometry.has_value());
    const Odometry& o = *odometry;
    EXPECT(o.stamp == 123456789u);
    EXPECT(o.pose[0] == 1.5 && o.pose[1] == -2.25 && o.pose[2] == 3.125);
    for (int k = 0; k < 4; k++) {
      EXPECT(o.wheels[k].speed == k + 0.5f && o.wheels[k].current == -float(k));
      EXPECT(o.wheels[k].temperature == 20 + k && o.wheels[k].fault == k && o.wheels[k].index == k);
    }
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) EXPECT(o.covariance[i][j] == float(i * 3 + j) / 8.0f);
    EXPECT(o.mode == 7u);
    std::printf("read the Rust segment: stamp %llu, pose (%g, %g, %g), mode %u\n",
                static_cast<unsigned long long>(o.stamp), o.pose[0], o.pose[1], o.pose[2], o.mode);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "codegen_reader: %s\n", e.what());
    return 1;
  }
  EXPECT(refusal<WrongOdometry>(name).find("covar") != std::string::npos);
  EXPECT(refusal<RetypedOdometry>(name).find("`mode`") != std::string::npos);
  return failures ? 1 : 0;
}
