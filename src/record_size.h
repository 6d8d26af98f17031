// Payload sizes of log records, exactly as docs/FORMAT.md defines them, and
// the check against the maximum record size. Every writer (Engine, the
// operation stream, WriteBatch) sizes its records here, so JavaScript,
// WebAssembly and native drivers draw the same line.
#ifndef PMAP_RECORD_SIZE_H_
#define PMAP_RECORD_SIZE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "coding.h"
#include "status.h"

namespace pmap {
namespace log {

// PUT: varint32 key length, key, value.
inline size_t PutPayloadSize(std::string_view key, std::string_view value) {
  return VarintLength(static_cast<uint32_t>(key.size())) + key.size() +
         value.size();
}

// DELETE: the key.
inline size_t DeletePayloadSize(std::string_view key) { return key.size(); }

// One operation inside a BATCH payload: u8 op, varint32 key length, key,
// and for a put varint32 value length, value.
inline size_t BatchPutSize(std::string_view key, std::string_view value) {
  return 1 + VarintLength(static_cast<uint32_t>(key.size())) + key.size() +
         VarintLength(static_cast<uint32_t>(value.size())) + value.size();
}
inline size_t BatchDeleteSize(std::string_view key) {
  return 1 + VarintLength(static_cast<uint32_t>(key.size())) + key.size();
}

// BATCH: varint32 count, then operations taking `ops_size` bytes.
inline size_t BatchPayloadSize(uint32_t count, size_t ops_size) {
  return VarintLength(count) + ops_size;
}

// TAGGED: u64 client id, varint64 seq, then inner records taking
// `inner_size` bytes.
inline size_t TaggedPayloadSize(uint64_t seq, size_t inner_size) {
  return 8 + VarintLength64(seq) + inner_size;
}

// One inner record of a TAGGED payload: u8 type, varint32 payload length,
// then the payload of a record of that type.
inline size_t InnerRecordSize(size_t payload_size) {
  return 1 + VarintLength(static_cast<uint32_t>(payload_size)) + payload_size;
}

// One entry of a CLIENTS payload: u64 client id, varint64 seq. The payload
// is varint32 count, then the entries.
inline size_t ClientEntrySize(uint64_t seq) { return 8 + VarintLength64(seq); }
inline size_t ClientsPayloadSize(uint32_t count, size_t entries_size) {
  return VarintLength(count) + entries_size;
}

// InvalidArgument naming both sizes if the payload is over the maximum.
inline Status CheckRecordSize(size_t payload_size, uint32_t max_record_size) {
  if (payload_size <= max_record_size) return Status::OK();
  return Status::InvalidArgument("record of " + std::to_string(payload_size) +
                                 " bytes exceeds the maximum record size of " +
                                 std::to_string(max_record_size) + " bytes");
}

}  // namespace log
}  // namespace pmap

#endif  // PMAP_RECORD_SIZE_H_
