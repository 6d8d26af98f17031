#include "log_writer.h"

#include <algorithm>

#include "coding.h"
#include "crc32c.h"
#include "log_format.h"
#include "record_size.h"

namespace pmap {
namespace log {
namespace {

// Reserves the record header, returns its offset in *out; the payload is then
// appended directly after it and FinishRecord fills in length and checksum,
// so a payload is never copied twice.
size_t BeginRecord(RecordType type, size_t payload_size, std::string* out) {
  size_t start = out->size();
  // Grow geometrically: some standard libraries (Emscripten's) reserve
  // exactly what is asked, which would make a long group commit quadratic.
  const size_t need = start + kRecordHeaderSize + payload_size;
  if (out->capacity() < need) out->reserve(std::max(need, 2 * out->capacity()));
  out->append(8, '\0');
  out->push_back(static_cast<char>(type));
  return start;
}

void FinishRecord(size_t start, std::string* out) {
  char* rec = &(*out)[start];
  const size_t payload_size = out->size() - start - kRecordHeaderSize;
  EncodeFixed32(rec + 4, static_cast<uint32_t>(payload_size));
  uint32_t crc = crc32c::Value(rec + 8, 1 + payload_size);
  EncodeFixed32(rec, crc32c::Mask(crc));
}

}  // namespace

void AppendFileHeader(uint64_t generation, std::string* out) {
  size_t start = out->size();
  out->append(kMagic, sizeof(kMagic));
  PutFixed32(out, kFormatVersion);
  PutFixed32(out, 0);  // flags
  PutFixed64(out, generation);
  PutFixed32(out, 0);  // reserved
  PutFixed32(out, crc32c::Mask(crc32c::Value(out->data() + start,
                                             kFileHeaderChecksumOffset)));
}

void AppendPut(std::string_view key, std::string_view value, std::string* out) {
  size_t start = BeginRecord(kPut, PutPayloadSize(key, value), out);
  PutVarint32(out, static_cast<uint32_t>(key.size()));
  out->append(key);
  out->append(value);
  FinishRecord(start, out);
}

void AppendDelete(std::string_view key, std::string* out) {
  size_t start = BeginRecord(kDelete, DeletePayloadSize(key), out);
  out->append(key);
  FinishRecord(start, out);
}

void AppendClear(std::string* out) {
  size_t start = BeginRecord(kClear, 0, out);
  FinishRecord(start, out);
}

void AppendBatch(const WriteBatch& batch, std::string* out) {
  size_t start = BeginRecord(kBatch, batch.PayloadSize(), out);
  PutVarint32(out, batch.count());
  out->append(batch.ops());
  FinishRecord(start, out);
}

void AppendTagged(const TaggedBatch& batch, std::string* out) {
  size_t start = BeginRecord(kTagged, batch.PayloadSize(), out);
  PutFixed64(out, batch.client());
  PutVarint64(out, batch.seq());
  out->append(batch.records());
  FinishRecord(start, out);
}

void AppendClients(const std::vector<ClientEntry>& entries,
                   uint32_t max_record_size, std::string* out) {
  size_t i = 0;
  while (i < entries.size()) {
    // As many entries as fit, and at least one: an entry takes at most 18
    // bytes and the count at most 5, under the smallest limit the
    // JavaScript API allows (64 bytes).
    size_t end = i + 1, size = ClientEntrySize(entries[i].seq);
    while (end < entries.size() &&
           ClientsPayloadSize(static_cast<uint32_t>(end + 1 - i),
                              size + ClientEntrySize(entries[end].seq)) <=
               max_record_size) {
      size += ClientEntrySize(entries[end].seq);
      ++end;
    }
    const auto count = static_cast<uint32_t>(end - i);
    size_t start = BeginRecord(kClients, ClientsPayloadSize(count, size), out);
    PutVarint32(out, count);
    for (; i < end; ++i) {
      PutFixed64(out, entries[i].client);
      PutVarint64(out, entries[i].seq);
    }
    FinishRecord(start, out);
  }
}

}  // namespace log
}  // namespace pmap
