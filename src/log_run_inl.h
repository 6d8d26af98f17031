// Template part of log_run.h; include that header, not this one.
#ifndef PMAP_LOG_RUN_INL_H_
#define PMAP_LOG_RUN_INL_H_

#include "coding.h"
#include "log_format.h"
#include "write_batch.h"

namespace pmap {

template <typename PutFn, typename DelFn, typename ClearFn>
void LogRun::ForEachOp(PutFn&& put, DelFn&& del, ClearFn&& clear) const {
  // Parse() has validated every payload.
  for (const Record& r : records_) {
    std::string_view payload = r.payload;
    switch (r.type) {
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
}

}  // namespace pmap

#endif  // PMAP_LOG_RUN_INL_H_
