// The operation stream: how a driver hands a group of writes to the Engine
// in one piece (the WebAssembly bindings get it from js/op_writer.js, once
// per group commit). It is a sequence of operations, each of which becomes
// one log record; integers are little-endian u32:
//   u8 1 PUT     key length, key, value length, value
//   u8 2 DELETE  key length, key
//   u8 3 CLEAR
//   u8 4 BATCH   count, then `count` PUT/DELETE operations (one record)
//   u8 5 TAGGED  client id low, high, seq low, high, byte length n, then n
//                bytes holding one or more PUT/DELETE/CLEAR/BATCH
//                operations (not TAGGED): one TAGGED record, the client's
//                write (the byte length lets a sequencer wrap another
//                client's stream without parsing it)
// The codes are the record types of docs/FORMAT.md. The stream is not
// stored anywhere; only the records it makes are.
#ifndef PMAP_OP_STREAM_H_
#define PMAP_OP_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine.h"
#include "status.h"

namespace pmap {

// The record of an operation other than TAGGED is never longer than the
// bytes the operation takes in the stream plus this: a length varint is one
// byte longer than the u32 it replaces only for lengths of 2^28 or more,
// and an operation of at most log::kMaxMaxRecordSize bytes holds at most
// three of those. A driver may trust, without asking the core, that such an
// operation of at most max_record_size - kMaxPayloadExcess bytes fits. (A
// TAGGED record may be longer than that: each CLEAR inside it takes two
// bytes, its type and a zero length, for the stream's one.)
constexpr size_t kMaxPayloadExcess = 3;

// One operation of the stream, as the record it becomes.
struct StreamOp {
  uint8_t type = 0;             // log::RecordType
  std::string_view key, value;  // PUT (key, value), DELETE (key)
  uint32_t count = 0;           // BATCH: number of operations
  std::string_view batch;       // BATCH: their bytes in the stream
  uint64_t client = 0, seq = 0;  // TAGGED: the writer and its sequence
  std::string_view inner;       // TAGGED: its operations in the stream
  size_t payload_size = 0;      // of its record (docs/FORMAT.md)
  size_t stream_bytes = 0;      // the operation's length in the stream
};

class OpStreamReader {
 public:
  // "stream" must remain live while this reader is in use.
  explicit OpStreamReader(std::string_view stream);
  // A reader of the operations inside a TAGGED operation that Next()
  // returned (and so validated).
  static OpStreamReader Inner(const StreamOp& tagged);

  // Reads the next operation; false at the end of the stream or when the
  // bytes are malformed (then status() names the byte where the bad
  // operation starts, and why).
  bool Next(StreamOp* op);
  const Status& status() const { return status_; }

  // Calls put(key, value) / del(key) for each operation of a BATCH that
  // Next() returned (and so validated).
  template <typename PutFn, typename DelFn>
  static void ForEachBatchOp(const StreamOp& batch, PutFn&& put, DelFn&& del);

 private:
  OpStreamReader(std::string_view stream, size_t base, bool inner);
  bool Fail(const char* what);
  // Reads the rest of a TAGGED into *op, checking its operations.
  bool ReadTagged(StreamOp* op);

  const std::string_view stream_;
  const size_t base_;  // offset of stream_ in the whole stream, for messages
  const bool inner_;   // inside a TAGGED: no TAGGED allowed
  std::string_view in_;
  size_t op_start_ = 0;
  Status status_;
};

// Checks that `stream` is well formed and that every record it makes fits
// `max_record_size`. On a record too large, sets *oversize (when not null)
// to its payload size and returns InvalidArgument naming it. Sets
// *has_tagged (when not null) to whether the stream holds a TAGGED.
Status CheckOpStream(std::string_view stream, uint32_t max_record_size,
                     size_t* oversize = nullptr, bool* has_tagged = nullptr);

// Applies `stream` to `engine`, all or nothing: on a non-OK Status (from
// CheckOpStream, or FailedPrecondition for a TAGGED while the engine's log
// is of format version 1) the engine is unchanged.
Status ApplyOpStream(std::string_view stream, Engine* engine);

// Appends to *out the records `stream` makes, as ApplyOpStream would have
// the engine log them, without applying them to any state: for a writer
// whose records are sequenced elsewhere (a NATS JetStream stream) and come
// back to it, in the log's order, to be applied (Engine::Follow). A DELETE
// is encoded whether or not its key is present (its replay is then a
// no-op). On a non-OK Status (from CheckOpStream) *out is unchanged.
Status EncodeOpStream(std::string_view stream, uint32_t max_record_size,
                      std::string* out);

}  // namespace pmap

#include "op_stream_inl.h"

#endif  // PMAP_OP_STREAM_H_
