// LogRun: the operations recorded in a run of log bytes, for drivers that
// keep the state rather than the log. A table-shaped backend
// (js/backends/table/table_backend.js) is handed every group commit as log bytes
// and stores it as rows; this is how it reads them, with the same
// LogReader that replays a log, so the format has one parser.
//
// A run is either a whole log (a file header, then records: what a new
// store writes first and what compaction writes) or records only (every
// other append; read as records of the current format version). It is
// parsed strictly: damage, a cut record or a missing
// header make the whole run invalid, and nothing is reported from a run
// that did not parse to its last byte.
#ifndef PMAP_LOG_RUN_H_
#define PMAP_LOG_RUN_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "status.h"

namespace pmap {

class LogRun {
 public:
  // Parses `run`, which must start with a file header if `with_header`.
  // "run" must remain live while this object refers to it. On an error
  // the object holds no records.
  Status Parse(std::string_view run, bool with_header);

  bool has_header() const { return has_header_; }
  uint64_t generation() const { return generation_; }
  size_t records() const { return records_.size(); }

  // Calls put(key, value), del(key) or clear() for every operation in
  // order, a BATCH record contributing each of its operations. The views
  // point into the run.
  template <typename PutFn, typename DelFn, typename ClearFn>
  void ForEachOp(PutFn&& put, DelFn&& del, ClearFn&& clear) const;

  // Calls fn(client id, seq) for every client table entry the run sets
  // (TAGGED and CLIENTS records), in order.
  template <typename Fn>
  void ForEachClient(Fn&& fn) const;

 private:
  struct Record {
    uint8_t type;
    std::string_view payload;
  };

  bool has_header_ = false;
  uint64_t generation_ = 0;
  std::vector<Record> records_;
};

}  // namespace pmap

#include "log_run_inl.h"

#endif  // PMAP_LOG_RUN_H_
