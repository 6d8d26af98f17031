// Template part of write_batch.h; include that header, not this one.
#ifndef PMAP_WRITE_BATCH_INL_H_
#define PMAP_WRITE_BATCH_INL_H_

#include "coding.h"
#include "log_format.h"

namespace pmap {

template <typename PutFn, typename DelFn>
bool WriteBatch::Iterate(std::string_view ops, uint32_t count, PutFn&& put,
                         DelFn&& del) {
  for (uint32_t i = 0; i < count; ++i) {
    if (ops.empty()) return false;
    const auto op = static_cast<uint8_t>(ops[0]);
    ops.remove_prefix(1);
    std::string_view key, value;
    if (!GetLengthPrefixed(&ops, &key)) return false;
    if (op == log::kBatchPut) {
      if (!GetLengthPrefixed(&ops, &value)) return false;
      put(key, value);
    } else if (op == log::kBatchDelete) {
      del(key);
    } else {
      return false;
    }
  }
  return ops.empty();
}

}  // namespace pmap

#endif  // PMAP_WRITE_BATCH_INL_H_
