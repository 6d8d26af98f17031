// Template part of engine.h; include that header, not this one.
#ifndef PMAP_ENGINE_INL_H_
#define PMAP_ENGINE_INL_H_

#include "log_writer.h"
#include "record_ops.h"

namespace pmap {

template <typename Visitor>
void Engine::ApplyRecord(uint8_t type, std::string_view payload,
                         Visitor&& visit) {
  AppliedOp op;
  if (type == log::kTagged) {
    std::string_view header = payload;
    uint64_t seq = 0;
    ParseTaggedHeader(&header, &op.client, &seq);
    op.tagged = true;
  }
  ForEachRecordOp(
      type, payload,
      [&](std::string_view k, std::string_view v) {
        index_.Put(k, v);
        ++total_records_;
        op.kind = AppliedOp::Kind::kPut;
        op.key = k;
        visit(static_cast<const AppliedOp&>(op));
      },
      [&](std::string_view k) {
        index_.Erase(k);
        ++total_records_;
        op.kind = AppliedOp::Kind::kDelete;
        op.key = k;
        visit(static_cast<const AppliedOp&>(op));
      },
      [&]() {
        index_.Clear();
        ++total_records_;
        op.kind = AppliedOp::Kind::kClear;
        op.key = {};
        visit(static_cast<const AppliedOp&>(op));
      });
  ForEachRecordClient(type, payload, [this](uint64_t client, uint64_t seq) {
    clients_.Logged(client, seq);
  });
}

template <typename Visitor>
Status Engine::Follow(std::string_view records, Visitor&& visit) {
  Status s = CheckFollow(records);
  if (!s.ok()) return s;
  for (const RecordView& r : follow_records_) ApplyRecord(r.type, r.payload, visit);
  follow_records_.clear();
  taken_log_bytes_ += records.size();
  return Status::OK();
}

template <typename Sink>
Engine::Snapshot Engine::EncodeSnapshot(size_t chunk_size, Sink&& sink) const {
  Snapshot info;
  info.generation = generation_ + 1;
  info.records = index_.size();
  info.records_at_start = total_records_;
  info.taken_at_start = taken_log_bytes_;
  std::string chunk;
  chunk.reserve(chunk_size + 64);
  log::AppendFileHeader(generation_ + 1, &chunk);
  log::AppendClients(
      clients_.Latest(log::kMaxSnapshotClients, &info.client_cutoff),
      options_.max_record_size, &chunk);
  index_.ForEach([&](std::string_view key, std::string_view value) {
    log::AppendPut(key, value, &chunk);
    if (chunk.size() >= chunk_size) {
      info.bytes += chunk.size();
      sink(std::string_view(chunk));
      chunk.clear();
    }
    return true;
  });
  if (!chunk.empty()) {
    info.bytes += chunk.size();
    sink(std::string_view(chunk));
  }
  return info;
}

}  // namespace pmap

#endif  // PMAP_ENGINE_INL_H_
