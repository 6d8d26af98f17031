// Constants of the on-disk log format. docs/FORMAT.md is the specification;
// this file only names its numbers.
#ifndef PMAP_LOG_FORMAT_H_
#define PMAP_LOG_FORMAT_H_

#include <cstdint>

namespace pmap {
namespace log {

constexpr char kMagic[8] = {'P', 'M', 'A', 'P', 'L', 'O', 'G', '\0'};
// The version every new log and snapshot gets; version 1 logs (which know
// record types 1..4 only) are still read and appended to.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kFormatVersion1 = 1;
constexpr int kFileHeaderSize = 32;
constexpr int kFileHeaderChecksumOffset = 28;

// crc (4) + payload length (4) + type (1).
constexpr int kRecordHeaderSize = 9;

enum RecordType : uint8_t {
  kPut = 1,
  kDelete = 2,
  kClear = 3,
  kBatch = 4,
  kTagged = 5,   // version 2: a client's write, with its id and sequence
  kClients = 6,  // version 2: entries of the client table
};
// The highest record type a log of each version may hold.
constexpr uint8_t kMaxRecordTypeV1 = kBatch;
constexpr uint8_t kMaxRecordType = kClients;
inline uint8_t MaxRecordType(uint32_t version) {
  return version == kFormatVersion1 ? kMaxRecordTypeV1 : kMaxRecordType;
}

// A snapshot's CLIENTS records hold at most this many clients: those whose
// last TAGGED record came latest in the log.
constexpr size_t kMaxSnapshotClients = 4096;

// Operation codes inside a BATCH payload.
enum BatchOp : uint8_t {
  kBatchPut = 1,
  kBatchDelete = 2,
};

constexpr uint32_t kDefaultMaxRecordSize = 64u << 20;  // 64 MiB
constexpr uint32_t kMaxMaxRecordSize = 1u << 30;       // 1 GiB

}  // namespace log
}  // namespace pmap

#endif  // PMAP_LOG_FORMAT_H_
