// A native opener for tests/js/lock_race.test.js: for each round r it waits
// until the wall-clock moment start_us + r * period_us, opens
// <dir>/r<r>.pmap, and if it became the writer, writes key <id> with a
// synced write, holds the store until hold_us after the start of the round,
// then closes it. One line per round on stdout:
//   <r> opened <t_open_us> <t_close_us>   (the write was acknowledged)
//   <r> locked
//   <r> error <message>
// Usage: lock_race_child <dir> <id> <rounds> <start_us> <period_us> <hold_us>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "native/store.h"

namespace {

int64_t NowMicros() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// Sleeps until `t` (µs), spinning through the last millisecond.
void Until(int64_t t) {
  for (int64_t now = NowMicros(); now < t; now = NowMicros()) {
    if (t - now > 2000) usleep(static_cast<useconds_t>(t - now - 1000));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s dir id rounds start_us period_us hold_us\n", argv[0]);
    return 1;
  }
  const std::string dir = argv[1], id = argv[2];
  const int rounds = std::atoi(argv[3]);
  const int64_t start = std::atoll(argv[4]), period = std::atoll(argv[5]),
                hold = std::atoll(argv[6]);
  pmap::StoreOptions options;
  options.durability = pmap::Durability::kSyncEveryWrite;
  for (int r = 0; r < rounds; ++r) {
    const int64_t begin = start + r * period;
    Until(begin);
    std::unique_ptr<pmap::Store> store;
    pmap::Status s =
        pmap::Store::Open(dir + "/r" + std::to_string(r) + ".pmap", options, &store);
    if (s.IsLocked()) {
      std::printf("%d locked\n", r);
    } else if (s.ok() && (s = store->Put(id, std::to_string(r))).ok()) {
      const int64_t opened = NowMicros();
      Until(begin + hold);
      const int64_t closing = NowMicros();
      s = store->Close();
      if (s.ok()) {
        std::printf("%d opened %lld %lld\n", r, static_cast<long long>(opened),
                    static_cast<long long>(closing));
      }
    }
    if (!s.ok() && !s.IsLocked()) std::printf("%d error %s\n", r, s.ToString().c_str());
    std::fflush(stdout);
  }
  return 0;
}
