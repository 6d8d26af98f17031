// TaggedBatch: operations one client wrote, with its id and sequence
// number, that become one TAGGED record (docs/FORMAT.md) and therefore
// replay all or nothing and set the client's entry in the client table.
#ifndef PMAP_TAGGED_BATCH_H_
#define PMAP_TAGGED_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "write_batch.h"

namespace pmap {

class TaggedBatch {
 public:
  TaggedBatch(uint64_t client, uint64_t seq) : client_(client), seq_(seq) {}

  // Each call adds one inner record.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  void Clear();
  void Write(const WriteBatch& batch);

  uint64_t client() const { return client_; }
  uint64_t seq() const { return seq_; }
  bool empty() const { return records_.empty(); }
  // The inner records, encoded (after the id and seq of the payload).
  const std::string& records() const { return records_; }
  // Size of the TAGGED payload this batch encodes to.
  size_t PayloadSize() const;

 private:
  void BeginInner(uint8_t type, size_t payload_size);

  uint64_t client_;
  uint64_t seq_;
  std::string records_;
};

}  // namespace pmap

#endif  // PMAP_TAGGED_BATCH_H_
