#include "log_run.h"

#include "log_format.h"
#include "log_reader.h"

namespace pmap {

Status LogRun::Parse(std::string_view run, bool with_header) {
  records_.clear();
  has_header_ = false;
  generation_ = 0;
  // The largest size any store allows: the run was encoded by a core
  // that has already checked its own limit.
  LogReader reader(run, log::kMaxMaxRecordSize, RecoveryMode::kStrict);
  if (with_header) {
    uint64_t generation = 0;
    Status s = reader.ReadHeader(&generation);
    if (!s.ok()) return s;
    if (!reader.has_header()) {
      return Status::Corruption(
          "the run is empty; it should start with a file header");
    }
    generation_ = generation;
    has_header_ = true;
  } else {
    reader.StartAfterHeader(log::kFormatVersion);
  }
  uint8_t type;
  std::string_view payload;
  while (reader.ReadRecord(&type, &payload))
    records_.push_back({type, payload});
  if (!reader.status().ok()) {
    records_.clear();
    has_header_ = false;
    generation_ = 0;
    return reader.status();
  }
  return Status::OK();
}

}  // namespace pmap
