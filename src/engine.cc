#include "engine.h"

#include <utility>

#include "log_writer.h"
#include "record_size.h"

namespace pmap {

Engine::Engine(EngineOptions options) : options_(options) {
  if (options_.max_record_size > log::kMaxMaxRecordSize) {
    options_.max_record_size = log::kMaxMaxRecordSize;
  }
}

Status Engine::Recover(std::string_view file, RecoveryReport* report) {
  BeginRecover(file.size());
  return RecoverWindow(file, true, report);
}

void Engine::ResetState() {
  index_.Clear();
  clients_.Clear();
  total_records_ = 0;
  generation_ = 0;
  format_version_ = log::kFormatVersion;
}

void Engine::BeginRecover(uint64_t file_size) {
  ResetState();
  pending_.clear();
  recovery_ =
      std::make_unique<LogReader>(options_.max_record_size, options_.recovery);
  recovery_records_ = 0;
  recovery_client_records_ = 0;
  recovery_file_bytes_ = file_size;
}

uint64_t Engine::recover_offset() const {
  return recovery_ ? recovery_->offset() : 0;
}

bool Engine::recover_needs_rest() const {
  return recovery_ && recovery_->damage_ahead();
}

void Engine::FailRecovery() {
  recovery_.reset();
  ResetState();
}

Status Engine::RecoverWindow(std::string_view window, bool last,
                             RecoveryReport* report) {
  if (!recovery_)
    return Status::InvalidArgument("RecoverWindow before BeginRecover");
  LogReader& reader = *recovery_;
  const bool first = reader.offset() == 0 && !reader.has_header();
  if (first && !last &&
      window.size() < static_cast<size_t>(log::kFileHeaderSize)) {
    FailRecovery();
    return Status::InvalidArgument(
        "the first window must hold the file header");
  }
  // The table is sized once so that it does not double over and over
  // during replay: for the whole file in one window, for records of ~128
  // bytes; else for as many entries per byte as the first window held. (A
  // guess too large costs memory for good in WebAssembly, which never
  // shrinks: the table is written through.)
  if (first && last) index_.Reserve(static_cast<size_t>(window.size() / 128));
  reader.NextWindow(window, last);
  Status s;
  if (first) s = reader.ReadHeader(&generation_);
  if (s.ok()) {
    uint8_t type;
    std::string_view payload;
    while (reader.ReadRecord(&type, &payload)) {
      ApplyRecord(type, payload, [](const AppliedOp&) {});
      ++recovery_records_;
      if (type == log::kClients) ++recovery_client_records_;
    }
    s = reader.status();
  }
  if (s.ok() && first && !last && reader.offset() > 0) {
    index_.Reserve(static_cast<size_t>(static_cast<double>(index_.size()) *
                                       recovery_file_bytes_ / reader.offset() *
                                       1.1));
  }
  if (!s.ok() || last) {
    *report = RecoveryReport();
    report->file_bytes = recovery_file_bytes_;
  }
  if (!s.ok()) {
    FailRecovery();
    return s;
  }
  if (!last) return Status::OK();
  report->records = recovery_records_;
  report->client_records = recovery_client_records_;
  report->generation = generation_;
  report->valid_bytes = reader.valid_end();
  report->damaged = reader.damaged();
  report->needs_rewrite = reader.damaged_before_valid_data();
  taken_log_bytes_ = reader.valid_end();
  format_version_ = reader.version();
  if (!reader.has_header()) {
    log::AppendFileHeader(generation_, &pending_);
  }
  recovery_.reset();
  return Status::OK();
}

Status Engine::CheckFollow(std::string_view records) {
  follow_records_.clear();
  LogReader reader(records, options_.max_record_size, RecoveryMode::kStrict);
  reader.StartAfterHeader(format_version_);
  uint8_t type;
  std::string_view payload;
  while (reader.ReadRecord(&type, &payload)) {
    follow_records_.push_back({type, payload});
  }
  if (!reader.status().ok()) {
    follow_records_.clear();
    return reader.status().WithContext(
        "cannot follow the run of " + std::to_string(records.size()) +
        " bytes, nothing was applied (byte offsets count from its start)");
  }
  return Status::OK();
}

Status Engine::CheckSize(size_t payload_size) const {
  return log::CheckRecordSize(payload_size, options_.max_record_size);
}

Status Engine::Put(std::string_view key, std::string_view value) {
  Status s = CheckSize(log::PutPayloadSize(key, value));
  if (!s.ok()) return s;
  log::AppendPut(key, value, &pending_);
  index_.Put(key, value);
  ++total_records_;
  return Status::OK();
}

Status Engine::Delete(std::string_view key, bool* existed) {
  Status s = CheckSize(log::DeletePayloadSize(key));
  if (!s.ok()) return s;
  const bool found = index_.Erase(key);
  if (existed != nullptr) *existed = found;
  if (found) {
    log::AppendDelete(key, &pending_);
    ++total_records_;
  }
  return Status::OK();
}

Status Engine::Clear() {
  if (index_.empty()) return Status::OK();
  log::AppendClear(&pending_);
  index_.Clear();
  ++total_records_;
  return Status::OK();
}

Status Engine::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::OK();
  Status s = CheckSize(batch.PayloadSize());
  if (!s.ok()) return s;
  log::AppendBatch(batch, &pending_);
  WriteBatch::Iterate(
      batch.ops(), batch.count(),
      [this](std::string_view k, std::string_view v) { index_.Put(k, v); },
      [this](std::string_view k) { index_.Erase(k); });
  total_records_ += batch.count();
  return Status::OK();
}

Status Engine::CheckTaggedWritable() const {
  if (format_version_ != log::kFormatVersion1) return Status::OK();
  return Status::FailedPrecondition(
      "the log is of format version 1, which cannot hold a tagged write; "
      "compact it first (its snapshot is of version " +
      std::to_string(log::kFormatVersion) + ")");
}

Status Engine::Write(const TaggedBatch& batch) {
  Status s = CheckTaggedWritable();
  if (!s.ok()) return s;
  if (batch.empty()) {
    return Status::InvalidArgument("a tagged write holds no operations");
  }
  s = CheckSize(batch.PayloadSize());
  if (!s.ok()) return s;
  const size_t start = pending_.size();
  log::AppendTagged(batch, &pending_);
  // Applied from the record itself, exactly as replay will apply it.
  ApplyRecord(log::kTagged,
              std::string_view(pending_).substr(start + log::kRecordHeaderSize),
              [](const AppliedOp&) {});
  return Status::OK();
}

std::string Engine::TakePending() {
  std::string out;
  SwapPending(&out);
  return out;
}

void Engine::SwapPending(std::string* out) {
  out->clear();
  out->swap(pending_);
  taken_log_bytes_ += out->size();
}

EngineStats Engine::stats() const {
  EngineStats st;
  st.live_records = index_.size();
  st.total_records = total_records_;
  st.pending_bytes = pending_.size();
  st.log_bytes = taken_log_bytes_ + pending_.size();
  st.generation = generation_;
  st.dead_ratio = total_records_ == 0
                      ? 0.0
                      : static_cast<double>(total_records_ - st.live_records) /
                            static_cast<double>(total_records_);
  return st;
}

bool Engine::ShouldCompact() const {
  return options_.compaction.ShouldCompact(total_records_, index_.size(),
                                           taken_log_bytes_ + pending_.size());
}

std::string Engine::EncodeSnapshot(Snapshot* info) const {
  std::string out;
  *info = EncodeSnapshot(size_t{1} << 20,
                         [&out](std::string_view piece) { out.append(piece); });
  return out;
}

void Engine::BeginSnapshot() {
  piece_.active = true;
  piece_.started = false;
  piece_.from = index_.AddCursor();
  piece_.to = index_.AddCursorAtEnd();
  piece_.info = Snapshot();
  piece_.info.generation = generation_ + 1;
  piece_.info.records_at_start = total_records_;
  piece_.info.taken_at_start = taken_log_bytes_;
}

bool Engine::EncodeSnapshotPiece(size_t chunk_size, std::string* out) {
  out->clear();
  if (!piece_.started) {
    log::AppendFileHeader(piece_.info.generation, out);
    log::AppendClients(
        clients_.Latest(log::kMaxSnapshotClients, &piece_.info.client_cutoff),
        options_.max_record_size, out);
    piece_.started = true;
  }
  const bool done = index_.VisitUpTo(piece_.from, piece_.to,
                                     [&](std::string_view key, std::string_view value) {
                                       log::AppendPut(key, value, out);
                                       ++piece_.info.records;
                                       return out->size() < chunk_size;
                                     });
  piece_.info.bytes += out->size();
  return done;
}

Engine::Snapshot Engine::EndSnapshot() {
  if (piece_.active) {
    index_.RemoveCursor(piece_.to);
    index_.RemoveCursor(piece_.from);
    piece_.active = false;
  }
  return piece_.info;
}

void Engine::SnapshotInstalled(const Snapshot& snapshot) {
  generation_ = snapshot.generation;
  format_version_ = log::kFormatVersion;
  // The clients the snapshot left out are forgotten, as on the next open.
  clients_.DropBefore(snapshot.client_cutoff);
  total_records_ =
      snapshot.records + (total_records_ - snapshot.records_at_start);
  // The new log is the snapshot and, after it, every byte taken since it
  // was encoded (none if the driver held them back; see engine.h).
  taken_log_bytes_ = snapshot.bytes + (taken_log_bytes_ - snapshot.taken_at_start);
}

}  // namespace pmap
