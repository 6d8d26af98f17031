// Constants of the on-disk log format. docs/FORMAT.md is the specification;
// this file only names its numbers.
#ifndef PMAP_LOG_FORMAT_H_
#define PMAP_LOG_FORMAT_H_

#include <cstdint>

namespace pmap {
namespace log {

constexpr char kMagic[8] = {'P', 'M', 'A', 'P', 'L', 'O', 'G', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr int kFileHeaderSize = 32;
constexpr int kFileHeaderChecksumOffset = 28;

// crc (4) + payload length (4) + type (1).
constexpr int kRecordHeaderSize = 9;

enum RecordType : uint8_t {
  kPut = 1,
  kDelete = 2,
  kClear = 3,
  kBatch = 4,
};
constexpr uint8_t kMaxRecordType = kBatch;

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
