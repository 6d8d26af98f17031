// The operations a log record holds: the one visitor of record payloads,
// shared by replay (Engine) and by drivers that keep rows (LogRun).
#ifndef PMAP_RECORD_OPS_H_
#define PMAP_RECORD_OPS_H_

#include <cstdint>
#include <string_view>

#include "coding.h"
#include "log_format.h"
#include "write_batch.h"

namespace pmap {

// Calls put(key, value), del(key) or clear() for each operation of a record
// whose payload LogReader has validated (docs/FORMAT.md, "Record types"), a
// BATCH contributing each of its operations in order. The views point into
// `payload`.
template <typename PutFn, typename DelFn, typename ClearFn>
void ForEachRecordOp(uint8_t type, std::string_view payload, PutFn&& put,
                     DelFn&& del, ClearFn&& clear) {
  switch (type) {
    case log::kPut: {
      uint32_t key_len = 0;
      GetVarint32(&payload, &key_len);
      put(payload.substr(0, key_len), payload.substr(key_len));
      break;
    }
    case log::kDelete:
      del(payload);
      break;
    case log::kClear:
      clear();
      break;
    case log::kBatch: {
      uint32_t count = 0;
      ParseBatchCount(&payload, &count);
      WriteBatch::Iterate(payload, count, put, del);
      break;
    }
  }
}

}  // namespace pmap

#endif  // PMAP_RECORD_OPS_H_
