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

// Reads the client id and sequence number at the front of a TAGGED payload
// that LogReader has validated, leaving *payload at its inner records.
inline void ParseTaggedHeader(std::string_view* payload, uint64_t* client,
                              uint64_t* seq) {
  *client = DecodeFixed64(payload->data());
  payload->remove_prefix(8);
  GetVarint64(payload, seq);
}

// Calls fn(type, payload) for each inner record of a validated TAGGED
// payload, in order.
template <typename Fn>
void ForEachInnerRecord(std::string_view payload, Fn&& fn) {
  uint64_t client = 0, seq = 0;
  ParseTaggedHeader(&payload, &client, &seq);
  while (!payload.empty()) {
    const auto type = static_cast<uint8_t>(payload[0]);
    payload.remove_prefix(1);
    std::string_view inner;
    GetLengthPrefixed(&payload, &inner);
    fn(type, inner);
  }
}

// Calls put(key, value), del(key) or clear() for each operation of a record
// whose payload LogReader has validated (docs/FORMAT.md, "Record types"), a
// BATCH contributing each of its operations in order, a TAGGED those of its
// inner records, a CLIENTS none. The views point into `payload`.
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
    case log::kTagged:
      ForEachInnerRecord(payload, [&](uint8_t t, std::string_view inner) {
        ForEachRecordOp(t, inner, put, del, clear);
      });
      break;
  }
}

// Calls fn(client id, seq) for each client table entry a validated record
// sets: one for a TAGGED, each of a CLIENTS's in order, none for the rest.
template <typename Fn>
void ForEachRecordClient(uint8_t type, std::string_view payload, Fn&& fn) {
  if (type == log::kTagged) {
    uint64_t client = 0, seq = 0;
    ParseTaggedHeader(&payload, &client, &seq);
    fn(client, seq);
  } else if (type == log::kClients) {
    uint32_t count = 0;
    GetVarint32(&payload, &count);
    for (uint32_t i = 0; i < count; ++i) {
      const uint64_t client = DecodeFixed64(payload.data());
      payload.remove_prefix(8);
      uint64_t seq = 0;
      GetVarint64(&payload, &seq);
      fn(client, seq);
    }
  }
}

}  // namespace pmap

#endif  // PMAP_RECORD_OPS_H_
