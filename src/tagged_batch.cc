#include "tagged_batch.h"

#include "coding.h"
#include "log_format.h"
#include "record_size.h"

namespace pmap {

void TaggedBatch::BeginInner(uint8_t type, size_t payload_size) {
  records_.push_back(static_cast<char>(type));
  PutVarint32(&records_, static_cast<uint32_t>(payload_size));
}

void TaggedBatch::Put(std::string_view key, std::string_view value) {
  BeginInner(log::kPut, log::PutPayloadSize(key, value));
  PutVarint32(&records_, static_cast<uint32_t>(key.size()));
  records_.append(key);
  records_.append(value);
}

void TaggedBatch::Delete(std::string_view key) {
  BeginInner(log::kDelete, log::DeletePayloadSize(key));
  records_.append(key);
}

void TaggedBatch::Clear() { BeginInner(log::kClear, 0); }

void TaggedBatch::Write(const WriteBatch& batch) {
  BeginInner(log::kBatch, batch.PayloadSize());
  PutVarint32(&records_, batch.count());
  records_.append(batch.ops());
}

size_t TaggedBatch::PayloadSize() const {
  return log::TaggedPayloadSize(seq_, records_.size());
}

}  // namespace pmap
