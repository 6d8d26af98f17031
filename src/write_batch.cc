#include "write_batch.h"

#include "record_size.h"

namespace pmap {

void WriteBatch::Put(std::string_view key, std::string_view value) {
  ops_.push_back(static_cast<char>(log::kBatchPut));
  PutVarint32(&ops_, static_cast<uint32_t>(key.size()));
  ops_.append(key);
  PutVarint32(&ops_, static_cast<uint32_t>(value.size()));
  ops_.append(value);
  ++count_;
}

void WriteBatch::Delete(std::string_view key) {
  ops_.push_back(static_cast<char>(log::kBatchDelete));
  PutVarint32(&ops_, static_cast<uint32_t>(key.size()));
  ops_.append(key);
  ++count_;
}

void WriteBatch::Clear() {
  ops_.clear();
  count_ = 0;
}

size_t WriteBatch::PayloadSize() const {
  return log::BatchPayloadSize(count_, ops_.size());
}

bool ParseBatchCount(std::string_view* payload, uint32_t* count) {
  return GetVarint32(payload, count);
}

}  // namespace pmap
