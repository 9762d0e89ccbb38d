#include <cstdio>
#include <rtshm.hpp>

struct Imu { double accel[3]; double gyro[3]; uint64_t count; };
RTSHM_SCHEMA(Imu, RTSHM_FIELD(Imu, accel), RTSHM_FIELD(Imu, gyro), RTSHM_FIELD(Imu, count));

int main() {
  using namespace std::chrono_literals;
  auto pub = rtshm::Publisher<rtshm::SeqLock<Imu>>::create_or_recover("readme-imu");
  pub.store(Imu{{0, 0, 9.81}, {0, 0, 0}, 1});

  // Usually in another process, started in any order (it waits up to 5 s for the segment):
  auto sub = rtshm::Subscriber<rtshm::SeqLock<Imu>>::open("readme-imu", 5s);
  if (auto imu = sub.load()) std::printf("accel z = %.2f\n", imu->accel[2]);
}
