// embind bindings of the core Engine for the JavaScript API (js/core.js).
// Thin by design: they move bytes and numbers; the rules live in src/.
//
// Bytes in: JavaScript writes a group of writes as an operation stream
// (src/op_stream.h) into memory it got from _malloc and passes (pointer,
// length) once per group commit, in the same call that hands back the log
// bytes and says whether to compact. Bytes out: a method either returns a
// typed_memory_view of a member buffer or writes the address and length of
// one into memory JavaScript gave it; JavaScript copies the bytes at once
// (they are valid until the next call that may grow memory).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine.h"
#include "json_text.h"
#include "op_stream.h"
#include "recovery_mode.h"
#include "utf8.h"
#include "value_kind.h"

namespace pmap {
namespace {

using emscripten::val;

val StatusVal(const Status& s) {
  val out = val::object();
  out.set("ok", s.ok());
  out.set("code", std::string(s.CodeName()));
  out.set("message", s.message());
  return out;
}

uint32_t Address(const void* p) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
}

std::string_view Bytes(uintptr_t ptr, size_t len) {
  return std::string_view(reinterpret_cast<const char*>(ptr), len);
}

class WasmEngine {
 public:
  // `recovery` is a mode's name (src/recovery_mode.h); an unknown name
  // makes RecoverWindow() fail with InvalidArgument.
  WasmEngine(uint32_t max_record_size, const std::string& recovery,
             double ratio, double min_bytes, bool automatic) {
    EngineOptions options;
    options.max_record_size = max_record_size;
    if (!ParseRecoveryMode(recovery, &options.recovery)) {
      options_status_ =
          Status::InvalidArgument("unknown recovery mode '" + recovery + "' (" +
                                  RecoveryModeNames() + ")");
    }
    options.compaction.ratio = ratio;
    options.compaction.min_log_bytes = static_cast<uint64_t>(min_bytes);
    options.compaction.automatic = automatic;
    engine_ = Engine(options);
  }

  // Recovery in windows (Engine::BeginRecover): JavaScript keeps the file
  // and copies in a window at a time. RecoverWindow returns null until the
  // last window or a failure, then the report: the Status's fields plus
  // those of the RecoveryReport and whether to compact.
  void BeginRecover(double file_size) {
    engine_.BeginRecover(static_cast<uint64_t>(file_size));
  }
  val RecoverWindow(uintptr_t ptr, size_t len, bool last) {
    RecoveryReport report;
    Status s = options_status_.ok()
                   ? engine_.RecoverWindow(Bytes(ptr, len), last, &report)
                   : options_status_;
    if (s.ok() && !last) return val::null();
    return ReportVal(s, report);
  }
  double RecoverOffset() const {
    return static_cast<double>(engine_.recover_offset());
  }
  bool RecoverNeedsRest() const { return engine_.recover_needs_rest(); }

  // One group commit: applies the operation stream at [ptr, ptr + len)
  // (all or nothing, ApplyOpStream) and, if `take`, takes the pending log
  // bytes. Writes three u32 at `out` (4-aligned): the pending bytes'
  // address and length (0, 0 unless taken) and whether the log should be
  // compacted once they are written. Returns false, taking nothing, if the
  // stream was refused; LastStatus() says why (a status object per call
  // would cost more than the rest of a small write).
  bool Commit(uintptr_t ptr, size_t len, bool take, uintptr_t out) {
    last_status_ = ApplyOpStream(Bytes(ptr, len), &engine_);
    if (!last_status_.ok()) return false;
    auto* o = reinterpret_cast<uint32_t*>(out);
    o[0] = o[1] = 0;
    if (take) {
      engine_.SwapPending(&pending_);
      o[0] = Address(pending_.data());
      o[1] = static_cast<uint32_t>(pending_.size());
    }
    o[2] = engine_.ShouldCompact();
    return true;
  }
  val LastStatus() const { return StatusVal(last_status_); }

  // Encodes the operation stream at [ptr, ptr + len) as the records it
  // makes, applying nothing (EncodeOpStream). Writes their address and
  // length as two u32 at `out` (4-aligned; valid until the next Encode).
  // Returns false if the stream was refused; LastStatus() says why.
  bool Encode(uintptr_t ptr, size_t len, uintptr_t out) {
    encoded_.clear();
    last_status_ = EncodeOpStream(
        Bytes(ptr, len), engine_.options().max_record_size, &encoded_);
    if (!last_status_.ok()) return false;
    auto* o = reinterpret_cast<uint32_t*>(out);
    o[0] = Address(encoded_.data());
    o[1] = static_cast<uint32_t>(encoded_.size());
    return true;
  }

  // Follows the run of records at [ptr, ptr + len) (Engine::Follow: all or
  // nothing). Returns false, applying nothing, if they were refused
  // (LastStatus() says why). Else the export buffers describe the
  // operations applied, in order: text_ holds the keys that are valid
  // UTF-8, one after another, and meta_ six u32 per operation: kind (1 put,
  // 2 delete, 3 clear) | 0x100 when it came from a TAGGED record, the key's
  // UTF-16 length (0xffffffff when it is not valid UTF-8: its bytes are in
  // the run), the key's offset in the run and its byte length, the client
  // id's low and high halves.
  bool Follow(uintptr_t ptr, size_t len) {
    ClearExport();
    const char* base = reinterpret_cast<const char*>(ptr);
    last_status_ = engine_.Follow(Bytes(ptr, len), [&](const AppliedOp& op) {
      size_t units = 0;
      uint32_t key16 = 0xffffffffu;
      if (Utf8ToUtf16Length(op.key, &units)) {
        key16 = static_cast<uint32_t>(units);
        text_.append(op.key);
      }
      const uint32_t at =
          op.key.empty() ? 0 : static_cast<uint32_t>(op.key.data() - base);
      meta_.insert(meta_.end(),
                   {static_cast<uint32_t>(op.kind) | (op.tagged ? 0x100u : 0u),
                    key16, at, static_cast<uint32_t>(op.key.size()),
                    static_cast<uint32_t>(op.client),
                    static_cast<uint32_t>(op.client >> 32)});
    });
    return last_status_.ok();
  }

  // The log's format version (Engine::format_version).
  uint32_t FormatVersion() const { return engine_.format_version(); }

  // The last sequence number logged for the client whose id is hi:lo.
  double ClientSeq(uint32_t lo, uint32_t hi) const {
    return static_cast<double>(
        engine_.ClientSeq((static_cast<uint64_t>(hi) << 32) | lo));
  }

  // The payload size of the first record the operation stream at
  // [ptr, ptr + len) would make that exceeds the maximum record size, 0 if
  // they all fit, or -1 if the stream is malformed (LastStatus() says how).
  double Oversize(uintptr_t ptr, size_t len) {
    size_t oversize = 0;
    Status s = CheckOpStream(Bytes(ptr, len), engine_.options().max_record_size,
                             &oversize);
    if (s.ok() || oversize > 0) return static_cast<double>(oversize);
    last_status_ = s;
    return -1;
  }

  val EncodeSnapshot() {
    pending_ = engine_.EncodeSnapshot(&snapshot_);
    return View(pending_);
  }
  // A snapshot a piece at a time (Engine::BeginSnapshot): the next piece,
  // a view valid until the next call; SnapshotDone() says if it was the last.
  void BeginSnapshot() { engine_.BeginSnapshot(); }
  val SnapshotPiece(size_t chunk_size) {
    snapshot_done_ = engine_.EncodeSnapshotPiece(chunk_size, &pending_);
    return View(pending_);
  }
  bool SnapshotDone() const { return snapshot_done_; }
  void EndSnapshot() { snapshot_ = engine_.EndSnapshot(); }

  // Returns whether the log should be compacted (again) now.
  bool SnapshotInstalled() {
    engine_.SnapshotInstalled(snapshot_);
    return engine_.ShouldCompact();
  }

  size_t Size() const { return engine_.index().size(); }

  // Looks up the key at [key, key + len). If present, writes three u32 at
  // `out` (4-aligned): the value's address and byte length, and its
  // ValueKind (kText and kBytes only when values_as_text; a kBytes value's
  // address and length exclude the tag). The address is valid until the
  // next call that changes the index or grows memory.
  bool Find(uintptr_t key, size_t len, bool values_as_text,
            uintptr_t out) const {
    std::string_view v;
    if (!engine_.index().Get(Bytes(key, len), &v)) return false;
    const ValueKind kind = Kind(&v, values_as_text, nullptr);
    auto* o = reinterpret_cast<uint32_t*>(out);
    o[0] = Address(v.data());
    o[1] = static_cast<uint32_t>(v.size());
    o[2] = static_cast<uint32_t>(kind);
    return true;
  }
  bool Contains(uintptr_t key, size_t len) const {
    return engine_.index().Contains(Bytes(key, len));
  }

  // Exports entries [start, ...) until about max_bytes are gathered, for
  // JavaScript to fill its map or to answer at(). Fills text_ (keys, and
  // values when values_as_text, as one UTF-8 string), bin_ (other values) and
  // meta_, six u32 per entry: key UTF-16 length (or 0xffffffff when the key
  // is not valid UTF-8 and its bytes are in bin_), key byte length, key
  // offset in bin_, value kind (as in Find), value length in UTF-16 units
  // (text) or bytes, value offset in bin_. Returns the next start.
  size_t Export(size_t start, size_t max_bytes, bool values_as_text) {
    ClearExport();
    if (!engine_.index().PositionsReady()) engine_.PreparePositions();
    size_t i = start;
    const size_t n = engine_.index().size();
    for (; i < n && text_.size() + bin_.size() < max_bytes; ++i) {
      std::string_view k, v;
      engine_.index().At(i, &k, &v);
      AppendExport(k, v, values_as_text);
    }
    return i;
  }

  // Iteration (OrderedIndex cursors): moves cursor `id` past `skip`
  // entries, then exports the entries from there, as Export does, without
  // moving it.
  uint32_t AddCursor() { return engine_.AddCursor(); }
  void RemoveCursor(uint32_t id) { engine_.RemoveCursor(id); }
  void SkipCursor(uint32_t id, double skip) {
    engine_.SkipAndVisit(id, static_cast<size_t>(skip),
                         [](std::string_view, std::string_view) { return false; });
  }
  void ExportFromCursor(uint32_t id, double skip, size_t max_bytes,
                        bool values_as_text) {
    ClearExport();
    engine_.SkipAndVisit(
        id, static_cast<size_t>(skip),
        [&](std::string_view k, std::string_view v) {
          AppendExport(k, v, values_as_text);
          return text_.size() + bin_.size() < max_bytes;
        });
  }

  val ExportText() const { return View(text_); }
  val ExportBin() const { return View(bin_); }
  val ExportMeta() const {
    return val(emscripten::typed_memory_view(meta_.size(), meta_.data()));
  }
  void ReleaseExport() {
    std::string().swap(text_);
    std::string().swap(bin_);
    std::vector<uint32_t>().swap(meta_);
  }

  // The positions (in insertion order) of the values that are not what the
  // default codec writes (json_text.h): { count, positions } with at most
  // `max` positions, the first ones.
  val ForeignValues(size_t max) const {
    val positions = val::array();
    size_t i = 0, count = 0;
    engine_.index().ForEach([&](std::string_view, std::string_view v) {
      if (!IsDefaultCodecValue(v) && count++ < max) positions.call<void>("push", i);
      ++i;
      return true;
    });
    val out = val::object();
    out.set("count", count);
    out.set("positions", positions);
    return out;
  }

  val Stats() const {
    EngineStats st = engine_.stats();
    val out = val::object();
    out.set("liveRecords", static_cast<double>(st.live_records));
    out.set("totalRecords", static_cast<double>(st.total_records));
    out.set("logBytes", static_cast<double>(st.log_bytes));
    out.set("pendingBytes", static_cast<double>(st.pending_bytes));
    out.set("generation", static_cast<double>(st.generation));
    out.set("deadRatio", st.dead_ratio);
    return out;
  }

 private:
  val ReportVal(const Status& s, const RecoveryReport& report) const {
    val out = StatusVal(s);
    out.set("generation", static_cast<double>(report.generation));
    out.set("fileBytes", static_cast<double>(report.file_bytes));
    out.set("validBytes", static_cast<double>(report.valid_bytes));
    out.set("records", static_cast<double>(report.records));
    out.set("clientRecords", static_cast<double>(report.client_records));
    out.set("needsRewrite", report.needs_rewrite);
    out.set("shouldCompact", s.ok() && engine_.ShouldCompact());
    val damaged = val::array();
    for (const DamagedRange& d : report.damaged) {
      val r = val::object();
      r.set("begin", static_cast<double>(d.begin));
      r.set("end", static_cast<double>(d.end));
      r.set("reason", d.reason);
      damaged.call<void>("push", r);
    }
    out.set("damaged", damaged);
    return out;
  }

  void ClearExport() {
    text_.clear();
    bin_.clear();
    meta_.clear();
  }

  void AppendExport(std::string_view k, std::string_view v,
                    bool values_as_text) {
    size_t k16 = 0;
    if (Utf8ToUtf16Length(k, &k16)) {
      meta_.insert(meta_.end(), {static_cast<uint32_t>(k16),
                                 static_cast<uint32_t>(k.size()), 0});
      text_.append(k);
    } else {
      meta_.insert(meta_.end(), {0xffffffffu, static_cast<uint32_t>(k.size()),
                                 static_cast<uint32_t>(bin_.size())});
      bin_.append(k);
    }
    size_t v16 = 0;
    const ValueKind kind = Kind(&v, values_as_text, &v16);
    if (kind == ValueKind::kText) {
      meta_.insert(meta_.end(), {static_cast<uint32_t>(kind),
                                 static_cast<uint32_t>(v16), 0});
      text_.append(v);
    } else {
      meta_.insert(meta_.end(), {static_cast<uint32_t>(kind),
                                 static_cast<uint32_t>(v.size()),
                                 static_cast<uint32_t>(bin_.size())});
      bin_.append(v);
    }
  }

  static val View(const std::string& s) {
    return val(emscripten::typed_memory_view(
        s.size(), reinterpret_cast<const uint8_t*>(s.data())));
  }

  // A value's kind as JavaScript reads it: without values_as_text (a
  // custom codec) every value is raw bytes. A kBytes value loses its tag.
  static ValueKind Kind(std::string_view* v, bool values_as_text,
                        size_t* utf16_units) {
    if (!values_as_text) return ValueKind::kRaw;
    const ValueKind kind = ClassifyValue(*v, utf16_units);
    if (kind == ValueKind::kBytes) v->remove_prefix(1);
    return kind;
  }

  Engine engine_;
  Status options_status_;
  Status last_status_;
  Engine::Snapshot snapshot_;
  bool snapshot_done_ = false;
  std::string pending_, text_, bin_;
  std::string encoded_;  // Encode()'s records
  std::vector<uint32_t> meta_;
};

}  // namespace
}  // namespace pmap

EMSCRIPTEN_BINDINGS(persistent_map) {
  emscripten::constant("maxPayloadExcess",
                       static_cast<uint32_t>(pmap::kMaxPayloadExcess));
  emscripten::class_<pmap::WasmEngine>("Engine")
      .constructor<uint32_t, const std::string&, double, double, bool>()
      .function("beginRecover", &pmap::WasmEngine::BeginRecover)
      .function("recoverWindow", &pmap::WasmEngine::RecoverWindow)
      .function("recoverOffset", &pmap::WasmEngine::RecoverOffset)
      .function("recoverNeedsRest", &pmap::WasmEngine::RecoverNeedsRest)
      .function("commit", &pmap::WasmEngine::Commit)
      .function("lastStatus", &pmap::WasmEngine::LastStatus)
      .function("encode", &pmap::WasmEngine::Encode)
      .function("follow", &pmap::WasmEngine::Follow)
      .function("formatVersion", &pmap::WasmEngine::FormatVersion)
      .function("clientSeq", &pmap::WasmEngine::ClientSeq)
      .function("oversize", &pmap::WasmEngine::Oversize)
      .function("encodeSnapshot", &pmap::WasmEngine::EncodeSnapshot)
      .function("snapshotInstalled", &pmap::WasmEngine::SnapshotInstalled)
      .function("beginSnapshot", &pmap::WasmEngine::BeginSnapshot)
      .function("snapshotPiece", &pmap::WasmEngine::SnapshotPiece)
      .function("snapshotDone", &pmap::WasmEngine::SnapshotDone)
      .function("endSnapshot", &pmap::WasmEngine::EndSnapshot)
      .function("size", &pmap::WasmEngine::Size)
      .function("find", &pmap::WasmEngine::Find)
      .function("contains", &pmap::WasmEngine::Contains)
      .function("exportEntries", &pmap::WasmEngine::Export)
      .function("addCursor", &pmap::WasmEngine::AddCursor)
      .function("removeCursor", &pmap::WasmEngine::RemoveCursor)
      .function("skipCursor", &pmap::WasmEngine::SkipCursor)
      .function("exportFromCursor", &pmap::WasmEngine::ExportFromCursor)
      .function("exportText", &pmap::WasmEngine::ExportText)
      .function("exportBin", &pmap::WasmEngine::ExportBin)
      .function("exportMeta", &pmap::WasmEngine::ExportMeta)
      .function("releaseExport", &pmap::WasmEngine::ReleaseExport)
      .function("foreignValues", &pmap::WasmEngine::ForeignValues)
      .function("stats", &pmap::WasmEngine::Stats);
}
