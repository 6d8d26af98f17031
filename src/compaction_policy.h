// When to rewrite the log as a snapshot of the live entries. Compact when
// the log holds at least `min_log_bytes` and its records outnumber the live
// entries by `ratio` or more.
#ifndef PMAP_COMPACTION_POLICY_H_
#define PMAP_COMPACTION_POLICY_H_

#include <cstdint>

namespace pmap {

struct CompactionPolicy {
  double ratio = 2.0;                  // total records / live records
  uint64_t min_log_bytes = 1u << 20;   // 1 MiB
  bool automatic = true;               // false: only explicit compaction

  bool ShouldCompact(uint64_t total_records, uint64_t live_records,
                     uint64_t log_bytes) const {
    if (!automatic || log_bytes < min_log_bytes) return false;
    if (live_records == 0) return total_records > 0;
    return static_cast<double>(total_records) >=
           ratio * static_cast<double>(live_records);
  }
};

}  // namespace pmap

#endif  // PMAP_COMPACTION_POLICY_H_
