// Template part of log_run.h; include that header, not this one.
#ifndef PMAP_LOG_RUN_INL_H_
#define PMAP_LOG_RUN_INL_H_

#include "record_ops.h"

namespace pmap {

template <typename PutFn, typename DelFn, typename ClearFn>
void LogRun::ForEachOp(PutFn&& put, DelFn&& del, ClearFn&& clear) const {
  // Parse() has validated every payload.
  for (const Record& r : records_)
    ForEachRecordOp(r.type, r.payload, put, del, clear);
}

template <typename Fn>
void LogRun::ForEachClient(Fn&& fn) const {
  for (const Record& r : records_) ForEachRecordClient(r.type, r.payload, fn);
}

}  // namespace pmap

#endif  // PMAP_LOG_RUN_INL_H_
