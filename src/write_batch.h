// WriteBatch: puts and deletes that become one BATCH record and therefore
// replay all or nothing.
#ifndef PMAP_WRITE_BATCH_H_
#define PMAP_WRITE_BATCH_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace pmap {

class WriteBatch {
 public:
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  void Clear();

  uint32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }

  // The encoded operations, without the leading count (FORMAT.md, BATCH).
  const std::string& ops() const { return ops_; }
  // Size of the BATCH payload this batch encodes to.
  size_t PayloadSize() const;

  // Calls put(key, value) / del(key) for each operation, in order. `ops` is
  // the operation bytes of a BATCH payload holding `count` operations; returns
  // false if they do not parse exactly.
  template <typename PutFn, typename DelFn>
  static bool Iterate(std::string_view ops, uint32_t count, PutFn&& put,
                      DelFn&& del);

 private:
  std::string ops_;
  uint32_t count_ = 0;
};

// Parses the varint count at the front of a BATCH payload.
bool ParseBatchCount(std::string_view* payload, uint32_t* count);

}  // namespace pmap

#include "write_batch_inl.h"

#endif  // PMAP_WRITE_BATCH_H_
