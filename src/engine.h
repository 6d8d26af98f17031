// Engine: the sans-I/O heart of a store. It owns the in-memory ordered index
// and turns every operation into log bytes in a pending buffer; its driver
// (native file driver, the WASM bindings' JavaScript backends) takes that
// buffer in one piece and makes it durable. On open the driver hands it the
// bytes of the log and it rebuilds the state. It also tells the driver when
// to compact and produces the snapshot. It never performs I/O.
//
// Every write is validated before anything changes: on a non-OK Status the
// index and the pending buffer are exactly as before.
#ifndef PMAP_ENGINE_H_
#define PMAP_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client_table.h"
#include "compaction_policy.h"
#include "log_format.h"
#include "log_reader.h"
#include "ordered_index.h"
#include "status.h"
#include "tagged_batch.h"
#include "write_batch.h"

namespace pmap {

struct EngineOptions {
  uint32_t max_record_size = log::kDefaultMaxRecordSize;
  RecoveryMode recovery = RecoveryMode::kTolerateTornTail;
  CompactionPolicy compaction;
};

// What Recover() found.
struct RecoveryReport {
  uint64_t generation = 0;
  uint64_t file_bytes = 0;
  // Length of the valid prefix: the driver truncates the file to this before
  // appending. 0 when there was no valid header (a new store).
  uint64_t valid_bytes = 0;
  uint64_t records = 0;  // records replayed
  // Of those, CLIENTS records (which hold no key: a driver that compares
  // records with keys, as the table backends' open does, leaves them out).
  uint64_t client_records = 0;
  std::vector<DamagedRange> damaged;
  // Salvage skipped damage in the middle: the log should be rewritten
  // (compacted) so that the next open does not meet it again.
  bool needs_rewrite = false;
};

struct EngineStats {
  uint64_t live_records = 0;   // keys in the map
  uint64_t total_records = 0;  // operations in the log (batch ops counted)
  uint64_t log_bytes = 0;      // file size once pending bytes are written
  uint64_t pending_bytes = 0;  // encoded but not yet taken by the driver
  uint64_t generation = 0;
  double dead_ratio = 0;       // (total - live) / total, 0 for an empty log
};

// One operation that replay (or Follow) applied.
struct AppliedOp {
  enum class Kind : uint8_t { kPut = 1, kDelete = 2, kClear = 3 };
  Kind kind = Kind::kPut;
  std::string_view key;  // into the bytes applied; empty for kClear
  bool tagged = false;   // it came from a TAGGED record ...
  uint64_t client = 0;   // ... of this client
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});

  // Replaces the state with the replay of `log` (a whole log file). On a
  // non-OK Status the engine is empty. If the file had no valid header the
  // pending buffer starts with a fresh one.
  Status Recover(std::string_view log, RecoveryReport* report);

  // Recover() in windows, for a driver that keeps the file elsewhere (in
  // JavaScript, outside WebAssembly memory) and copies in a few megabytes at
  // a time, so that the file and the state built from it are never both in
  // the engine's memory. BeginRecover(), then RecoverWindow() with the bytes
  // of the file from recover_offset() on (see LogReader::NextWindow) until
  // it is called with `last`, when *report is filled in. A window that
  // holds no whole record leaves recover_offset() where it was: the next
  // must be larger. After recover_needs_rest() the next window must be the
  // last. On a non-OK Status the engine is empty and the recovery over.
  void BeginRecover(uint64_t file_size);
  Status RecoverWindow(std::string_view window, bool last,
                       RecoveryReport* report);
  uint64_t recover_offset() const;
  bool recover_needs_rest() const;

  // Applies a run of complete records that another writer appended to the
  // log this engine replayed (the bytes after the header, never a header),
  // with the checks of recovery in strict mode: all or nothing. If any
  // record is damaged or cut, nothing is applied and the Status is a
  // Corruption naming its offset in the run and why; an intact record over
  // max_record_size is InvalidArgument, as in recovery. On success calls
  // visit(const AppliedOp&) for every operation applied, in order, after
  // it is applied (the key's view points into `records`), and counts the
  // run's bytes as taken, as if this engine had written them. The pending
  // bytes are left alone: a driver that follows does not write.
  template <typename Visitor>
  Status Follow(std::string_view records, Visitor&& visit);

  Status Put(std::string_view key, std::string_view value);
  // Deleting an absent key is a no-op and writes nothing; *existed says which.
  Status Delete(std::string_view key, bool* existed = nullptr);
  Status Clear();
  Status Write(const WriteBatch& batch);
  // One TAGGED record. FailedPrecondition, changing nothing, while the log
  // is of format version 1 (which cannot hold one: compact it first, the
  // snapshot is version 2); InvalidArgument for an empty batch.
  Status Write(const TaggedBatch& batch);
  // OK if Write(const TaggedBatch&) may append to this log; else why not.
  Status CheckTaggedWritable() const;
  // The highest sequence number the log holds for `client`, 0 if none.
  uint64_t ClientSeq(uint64_t client) const { return clients_.Seq(client); }
  const ClientTable& clients() const { return clients_; }
  // The format version of the log the pending bytes go to: its header's,
  // or log::kFormatVersion for a new log or once a snapshot is installed.
  uint32_t format_version() const { return format_version_; }

  const OrderedIndex& index() const { return index_; }
  // Iteration cursors, see OrderedIndex.
  uint32_t AddCursor() { return index_.AddCursor(); }
  void RemoveCursor(uint32_t id) { index_.RemoveCursor(id); }
  template <typename Fn>
  void SkipAndVisit(uint32_t id, size_t n, Fn&& fn) {
    index_.SkipAndVisit(id, n, std::forward<Fn>(fn));
  }
  // At() needs positions ready; see OrderedIndex.
  void PreparePositions() { index_.PreparePositions(); }

  bool has_pending() const { return !pending_.empty(); }
  size_t pending_size() const { return pending_.size(); }
  // Hands the pending bytes to the driver and empties the buffer. The
  // driver must append them to the log in the order it takes them.
  std::string TakePending();
  // Moves the pending bytes into *out (which is cleared first), keeping
  // their capacity for reuse.
  void SwapPending(std::string* out);

  EngineStats stats() const;
  bool ShouldCompact() const;

  // Compaction. The driver first writes out the pending bytes, then encodes
  // a snapshot: the complete bytes of a new log, a header with generation + 1
  // then the client table's latest log::kMaxSnapshotClients entries as
  // CLIENTS records (none if it is empty), then one PUT per live entry in
  // insertion order. Writes may go on while it
  // stores the snapshot. Their pending bytes either wait (they must then not
  // reach the old log: once the snapshot has replaced the log they go to the
  // new one), or are taken as usual and go to the old log and also, as the
  // new log's tail, right after the snapshot, before it replaces the log:
  // the new log is then the snapshot followed by every byte taken since it
  // was encoded. SnapshotInstalled() accounts for either. If storing the
  // snapshot fails, nothing needs undoing: the old log plus the pending
  // bytes are still the whole state.
  struct Snapshot {
    uint64_t generation = 0;
    uint64_t bytes = 0;
    uint64_t records = 0;           // live entries written
    uint64_t records_at_start = 0;  // total_records when it was taken
    uint64_t taken_at_start = 0;    // log bytes taken when it was taken
    uint64_t client_cutoff = 0;     // ClientTable::Latest()'s, for DropBefore
  };
  // Requires !has_pending(). Calls sink(std::string_view) with consecutive
  // pieces of about `chunk_size` bytes.
  template <typename Sink>
  Snapshot EncodeSnapshot(size_t chunk_size, Sink&& sink) const;
  // The whole snapshot in one string (small stores, tests).
  std::string EncodeSnapshot(Snapshot* info) const;
  void SnapshotInstalled(const Snapshot& snapshot);

  // A snapshot encoded a piece at a time, so that writes can go on between
  // the pieces (taken as usual, and kept by the driver as the new log's
  // tail). It holds the entries that were live when it began, each with the
  // value it has when its piece is encoded; entries erased meanwhile are
  // left out, and entries put meanwhile at the end are not in it. Every
  // such change is in the tail, so the snapshot followed by the tail
  // replays to the state at the tail's end, in the same order. Requires
  // !has_pending() to begin; one at a time; EndSnapshot() always follows.
  void BeginSnapshot();
  // Sets *out to the next piece (about `chunk_size` bytes; the first starts
  // with the header); returns true once the snapshot is complete.
  bool EncodeSnapshotPiece(size_t chunk_size, std::string* out);
  // Ends the snapshot begun (complete or given up): its accounting, for
  // SnapshotInstalled().
  Snapshot EndSnapshot();

  const EngineOptions& options() const { return options_; }

 private:
  Status CheckSize(size_t payload_size) const;
  // Applies a record LogReader validated, calling visit(const AppliedOp&)
  // for each of its operations.
  template <typename Visitor>
  void ApplyRecord(uint8_t type, std::string_view payload, Visitor&& visit);
  // Reads `records` for Follow() into follow_records_.
  Status CheckFollow(std::string_view records);

  void FailRecovery();
  // Empties the state: no entries, no clients, generation 0, the current format.
  void ResetState();

  EngineOptions options_;
  OrderedIndex index_;
  // During a recovery in windows: its reader, records replayed and file size.
  std::unique_ptr<LogReader> recovery_;
  uint64_t recovery_records_ = 0;
  uint64_t recovery_client_records_ = 0;
  uint64_t recovery_file_bytes_ = 0;
  std::string pending_;
  uint64_t generation_ = 0;
  uint64_t taken_log_bytes_ = 0;  // log bytes already taken by the driver
  uint64_t total_records_ = 0;
  uint32_t format_version_ = log::kFormatVersion;
  ClientTable clients_;
  struct RecordView {
    uint8_t type;
    std::string_view payload;
  };
  std::vector<RecordView> follow_records_;
  // The snapshot being encoded in pieces: cursors from (next entry) and to
  // (the end when it began), whether the header is out, its accounting.
  struct PieceSnapshot {
    bool active = false;
    bool started = false;
    uint32_t from = 0;
    uint32_t to = 0;
    Snapshot info;
  } piece_;
};

}  // namespace pmap

#include "engine_inl.h"

#endif  // PMAP_ENGINE_H_
