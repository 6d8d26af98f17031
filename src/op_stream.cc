#include "op_stream.h"

#include <string>

#include "coding.h"
#include "log_format.h"
#include "log_writer.h"
#include "record_size.h"
#include "write_batch.h"

namespace pmap {
namespace {

// A u32 length and that many bytes.
bool ReadField(std::string_view* in, std::string_view* field) {
  if (in->size() < 4) return false;
  const uint32_t n = DecodeFixed32(in->data());
  if (n > in->size() - 4) return false;
  *field = in->substr(4, n);
  in->remove_prefix(4 + n);
  return true;
}

}  // namespace

OpStreamReader::OpStreamReader(std::string_view stream)
    : OpStreamReader(stream, 0, false) {}

OpStreamReader::OpStreamReader(std::string_view stream, size_t base,
                               bool inner)
    : stream_(stream), base_(base), inner_(inner), in_(stream) {}

OpStreamReader OpStreamReader::Inner(const StreamOp& tagged) {
  return OpStreamReader(tagged.inner, 0, true);
}

bool OpStreamReader::Fail(const char* what) {
  status_ = Status::InvalidArgument("operation stream is malformed at byte " +
                                    std::to_string(base_ + op_start_) + ": " +
                                    what);
  in_ = {};
  return false;
}

bool OpStreamReader::Next(StreamOp* op) {
  if (in_.empty()) return false;
  const std::string_view start = in_;
  op_start_ = stream_.size() - in_.size();
  *op = StreamOp();
  op->type = static_cast<uint8_t>(in_[0]);
  in_.remove_prefix(1);
  switch (op->type) {
    case log::kPut:
      if (!ReadField(&in_, &op->key) || !ReadField(&in_, &op->value)) {
        return Fail("a PUT is cut short");
      }
      op->payload_size = log::PutPayloadSize(op->key, op->value);
      break;
    case log::kDelete:
      if (!ReadField(&in_, &op->key)) return Fail("a DELETE is cut short");
      op->payload_size = log::DeletePayloadSize(op->key);
      break;
    case log::kClear:
      break;
    case log::kBatch: {
      if (in_.size() < 4) return Fail("a BATCH is cut short");
      op->count = DecodeFixed32(in_.data());
      in_.remove_prefix(4);
      const std::string_view ops = in_;
      size_t ops_size = 0;
      for (uint32_t i = 0; i < op->count; ++i) {
        if (in_.empty())
          return Fail("a BATCH has fewer operations than its count");
        const auto type = static_cast<uint8_t>(in_[0]);
        in_.remove_prefix(1);
        std::string_view key, value;
        if (type == log::kPut) {
          if (!ReadField(&in_, &key) || !ReadField(&in_, &value)) {
            return Fail("a PUT in a BATCH is cut short");
          }
          ops_size += log::BatchPutSize(key, value);
        } else if (type == log::kDelete) {
          if (!ReadField(&in_, &key)) {
            return Fail("a DELETE in a BATCH is cut short");
          }
          ops_size += log::BatchDeleteSize(key);
        } else {
          return Fail("a BATCH holds an operation other than PUT or DELETE");
        }
      }
      op->batch = ops.substr(0, ops.size() - in_.size());
      op->payload_size = log::BatchPayloadSize(op->count, ops_size);
      break;
    }
    case log::kTagged:
      if (inner_) return Fail("a TAGGED holds a TAGGED");
      if (!ReadTagged(op)) return false;
      break;
    default:
      return Fail("unknown operation code");
  }
  op->stream_bytes = start.size() - in_.size();
  return true;
}

bool OpStreamReader::ReadTagged(StreamOp* op) {
  if (in_.size() < 20) return Fail("a TAGGED is cut short");
  op->client = DecodeFixed64(in_.data());
  op->seq = DecodeFixed64(in_.data() + 8);
  const uint32_t n = DecodeFixed32(in_.data() + 16);
  in_.remove_prefix(20);
  if (n > in_.size()) return Fail("a TAGGED is cut short");
  if (n == 0) return Fail("a TAGGED holds no operations");
  op->inner = in_.substr(0, n);
  in_.remove_prefix(n);
  // Its operations' offsets in the whole stream, for messages.
  OpStreamReader reader(op->inner, base_ + op_start_ + 21, true);
  StreamOp inner;
  size_t inner_size = 0;
  while (reader.Next(&inner)) inner_size += log::InnerRecordSize(inner.payload_size);
  if (!reader.status().ok()) {
    status_ = reader.status();
    in_ = {};
    return false;
  }
  op->payload_size = log::TaggedPayloadSize(op->seq, inner_size);
  return true;
}

Status CheckOpStream(std::string_view stream, uint32_t max_record_size,
                     size_t* oversize, bool* has_tagged) {
  OpStreamReader reader(stream);
  StreamOp op;
  if (has_tagged != nullptr) *has_tagged = false;
  while (reader.Next(&op)) {
    if (has_tagged != nullptr && op.type == log::kTagged) *has_tagged = true;
    Status s = log::CheckRecordSize(op.payload_size, max_record_size);
    if (!s.ok()) {
      if (oversize != nullptr) *oversize = op.payload_size;
      return s;
    }
  }
  return reader.status();
}

namespace {

// Adds the operations of a checked TAGGED to *out, one inner record each.
void AddInnerOps(const StreamOp& tagged, WriteBatch* batch, TaggedBatch* out) {
  OpStreamReader reader = OpStreamReader::Inner(tagged);
  StreamOp op;
  while (reader.Next(&op)) {
    switch (op.type) {
      case log::kPut:
        out->Put(op.key, op.value);
        break;
      case log::kDelete:
        out->Delete(op.key);
        break;
      case log::kClear:
        out->Clear();
        break;
      case log::kBatch:
        batch->Clear();
        OpStreamReader::ForEachBatchOp(
            op,
            [batch](std::string_view k, std::string_view v) { batch->Put(k, v); },
            [batch](std::string_view k) { batch->Delete(k); });
        out->Write(*batch);
        break;
    }
  }
}

}  // namespace

Status ApplyOpStream(std::string_view stream, Engine* engine) {
  bool has_tagged = false;
  Status s = CheckOpStream(stream, engine->options().max_record_size, nullptr,
                           &has_tagged);
  if (s.ok() && has_tagged) s = engine->CheckTaggedWritable();
  if (!s.ok()) return s;
  // Checked: the engine refuses nothing below, so all of it applies.
  OpStreamReader reader(stream);
  StreamOp op;
  WriteBatch batch;
  while (s.ok() && reader.Next(&op)) {
    switch (op.type) {
      case log::kPut:
        s = engine->Put(op.key, op.value);
        break;
      case log::kDelete:
        s = engine->Delete(op.key);
        break;
      case log::kClear:
        s = engine->Clear();
        break;
      case log::kBatch:
        batch.Clear();
        OpStreamReader::ForEachBatchOp(
            op,
            [&batch](std::string_view k, std::string_view v) {
              batch.Put(k, v);
            },
            [&batch](std::string_view k) { batch.Delete(k); });
        s = engine->Write(batch);
        break;
      case log::kTagged: {
        TaggedBatch tagged(op.client, op.seq);
        AddInnerOps(op, &batch, &tagged);
        s = engine->Write(tagged);
        break;
      }
    }
  }
  return s;
}

Status EncodeOpStream(std::string_view stream, uint32_t max_record_size,
                      std::string* out) {
  Status s = CheckOpStream(stream, max_record_size);
  if (!s.ok()) return s;
  OpStreamReader reader(stream);
  StreamOp op;
  WriteBatch batch;
  while (reader.Next(&op)) {
    switch (op.type) {
      case log::kPut:
        log::AppendPut(op.key, op.value, out);
        break;
      case log::kDelete:
        log::AppendDelete(op.key, out);
        break;
      case log::kClear:
        log::AppendClear(out);
        break;
      case log::kBatch:
        batch.Clear();
        OpStreamReader::ForEachBatchOp(
            op,
            [&batch](std::string_view k, std::string_view v) {
              batch.Put(k, v);
            },
            [&batch](std::string_view k) { batch.Delete(k); });
        log::AppendBatch(batch, out);
        break;
      case log::kTagged: {
        TaggedBatch tagged(op.client, op.seq);
        AddInnerOps(op, &batch, &tagged);
        log::AppendTagged(tagged, out);
        break;
      }
    }
  }
  return Status::OK();
}

}  // namespace pmap
