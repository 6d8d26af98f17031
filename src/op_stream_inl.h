// Template part of op_stream.h; include that header, not this one.
#ifndef PMAP_OP_STREAM_INL_H_
#define PMAP_OP_STREAM_INL_H_

#include "coding.h"
#include "log_format.h"

namespace pmap {

template <typename PutFn, typename DelFn>
void OpStreamReader::ForEachBatchOp(const StreamOp& batch, PutFn&& put,
                                    DelFn&& del) {
  std::string_view in = batch.batch;
  auto field = [&in]() {
    const uint32_t n = DecodeFixed32(in.data());
    std::string_view f = in.substr(4, n);
    in.remove_prefix(4 + n);
    return f;
  };
  for (uint32_t i = 0; i < batch.count; ++i) {
    const auto type = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    std::string_view key = field();
    if (type == log::kPut) {
      std::string_view value = field();
      put(key, value);
    } else {
      del(key);
    }
  }
}

}  // namespace pmap

#endif  // PMAP_OP_STREAM_INL_H_
