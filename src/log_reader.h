// LogReader walks the bytes of a log file (docs/FORMAT.md) and hands out the
// valid records in order, applying one of three recovery modes to damage. It
// never allocates in proportion to a length read from the file.
#ifndef PMAP_LOG_READER_H_
#define PMAP_LOG_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recovery_mode.h"
#include "status.h"

namespace pmap {

// A byte range [begin, end) of the file that was not replayed.
struct DamagedRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  std::string reason;  // "bad checksum", "length beyond end of file", ...
};

class LogReader {
 public:
  // "file" must remain live while this reader is in use.
  LogReader(std::string_view file, uint32_t max_record_size, RecoveryMode mode);
  // A reader of a file given in windows (see NextWindow); it has none yet.
  LogReader(uint32_t max_record_size, RecoveryMode mode);

  // Reading in windows, so that the whole file need not be in memory at
  // once: `window` holds the bytes of the file from offset() on, up to its
  // end if `last`, and must remain live until the next call. In a window
  // that is not the last, ReadRecord() stops (returning false, status OK)
  // at the first record that is not intact: cut by the window's end, or
  // damaged, which damage_ahead() tells; the next window begins at
  // offset(). Damage is judged only in the last window, which must then
  // hold the rest of the file, so every mode decides exactly as it would
  // on the whole file. ReadHeader() needs a first window of at least the
  // header's 32 bytes, or the last one.
  void NextWindow(std::string_view window, bool last);
  // Offset in the file of the first byte not read yet.
  uint64_t offset() const { return base_ + pos_; }
  // ReadRecord() stopped, before the last window, at a record that is
  // damaged (not merely cut by the window's end).
  bool damage_ahead() const { return damage_ahead_; }

  // Checks the file header; call once, first. On success sets *generation
  // (0 when the file is empty or holds only a torn header, see has_header()).
  Status ReadHeader(uint64_t* generation);
  bool has_header() const { return has_header_; }
  // The header's format version (log::kFormatVersion before one is read):
  // record types 5 and 6 are damage in a version 1 log.
  uint32_t version() const { return version_; }
  // Instead of ReadHeader: the bytes are records cut from a log of format
  // `version` after its header (what a driver appends after the first
  // write, what a follower is sent), read from byte 0.
  void StartAfterHeader(uint32_t version);

  // Stores the next valid record in *type / *payload (pointing into the
  // file) and returns true. Returns false at the end of the log or on an
  // error; status() tells which.
  bool ReadRecord(uint8_t* type, std::string_view* payload);

  const Status& status() const { return status_; }
  // Offset just past the last valid record (or the header): where the next
  // append belongs. Bytes after it are damage that was dropped.
  uint64_t valid_end() const { return valid_end_; }
  // Every range that was not replayed, in file order.
  const std::vector<DamagedRange>& damaged() const { return damaged_; }
  // True if a damaged range lies before a valid record (salvage mode only).
  bool damaged_before_valid_data() const { return damaged_before_valid_; }

 private:
  enum class Scan { kFound, kNotFound, kGaveUp };

  // Returns nullptr if an intact record starts at `offset` (its size in
  // *record_size), else why not (one of the k... reasons below for a record
  // cut short by the end of the window). Intact: its type is known, its length fits
  // the file and the format's limit (1 GiB), its checksum matches and its
  // payload parses. The store's own, smaller limit is checked by the caller:
  // a record over it is not damage.
  const char* CheckRecordAt(size_t offset, size_t* record_size) const;
  // Looks for an intact record starting after `from`.
  Scan FindNextValidRecord(size_t from, size_t* found) const;
  // Where the damaged record at `offset` ends, when that can be told: its
  // header is one flipped bit (in the length) or one wrong type byte away
  // from a record whose checksum matches, or else its type is known and its
  // length fits. Returns false when the header gives no extent.
  bool DamagedRecordEnd(size_t offset, size_t* end) const;
  Status RecordTooLarge(size_t offset, size_t payload_size) const;
  void Fail(Status s);

  std::string_view file_;  // the window: the file's bytes from base_ on
  const uint32_t max_record_size_;
  const RecoveryMode mode_;
  uint64_t base_ = 0;
  bool last_ = true;  // file_ reaches the end of the file
  bool damage_ahead_ = false;
  size_t pos_ = 0;
  uint64_t valid_end_ = 0;
  bool has_header_ = false;
  uint32_t version_;
  uint8_t max_type_;  // the highest record type of version_
  bool damaged_before_valid_ = false;
  Status status_;
  std::vector<DamagedRange> damaged_;
};

// Checks that `payload` is well formed for a record of `type` (any type of
// the latest format version).
bool IsValidPayload(uint8_t type, std::string_view payload);

}  // namespace pmap

#endif  // PMAP_LOG_READER_H_
