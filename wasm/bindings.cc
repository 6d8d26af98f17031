// embind bindings of the core Engine for the JavaScript API (js/core.js).
// Thin by design: no logic beyond moving bytes.
//
// Bytes in: JavaScript writes a batch of operations into memory it got from
// _malloc and passes (pointer, length) once per batch. The operation stream,
// little-endian:
//   u8 1 PUT     u32 key length, key, u32 value length, value
//   u8 2 DELETE  u32 key length, key
//   u8 3 CLEAR
//   u8 4 BATCH   u32 count, then count PUT/DELETE operations (one record)
// Bytes out: a method fills a member buffer and returns a typed_memory_view
// of it, which JavaScript copies at once (the view dies with the next call
// that may grow memory).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "coding.h"
#include "engine.h"
#include "json_text.h"

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

// Parses one PUT/DELETE body after its kind byte.
bool ReadKeyValue(std::string_view* in, bool with_value, std::string_view* key,
                  std::string_view* value) {
  if (in->size() < 4) return false;
  uint32_t klen = DecodeFixed32(in->data());
  in->remove_prefix(4);
  if (klen > in->size()) return false;
  *key = in->substr(0, klen);
  in->remove_prefix(klen);
  if (!with_value) return true;
  if (in->size() < 4) return false;
  uint32_t vlen = DecodeFixed32(in->data());
  in->remove_prefix(4);
  if (vlen > in->size()) return false;
  *value = in->substr(0, vlen);
  in->remove_prefix(vlen);
  return true;
}

// UTF-16 length of valid UTF-8, or -1 if it is not valid UTF-8.
int64_t Utf16Length(std::string_view s) {
  int64_t units = 0;
  size_t i = 0;
  while (i < s.size()) {
    // ASCII, eight bytes at a time: most keys and JSON texts are ASCII.
    // (memcpy compiles to one load; DecodeFixed64 to eight in WebAssembly.)
    uint64_t word;
    if (i + 8 <= s.size() && (std::memcpy(&word, s.data() + i, 8), (word & 0x8080808080808080ull) == 0)) {
      units += 8;
      i += 8;
      continue;
    }
    const auto c = static_cast<uint8_t>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++units;
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return -1;
    }
    if (i + extra >= s.size()) return -1;
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static const uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    units += cp >= 0x10000 ? 2 : 1;
    i += extra + 1;
  }
  return units;
}

class WasmEngine {
 public:
  WasmEngine(uint32_t max_record_size, int recovery, double ratio, double min_bytes,
             bool automatic) {
    EngineOptions options;
    options.max_record_size = max_record_size;
    options.recovery = static_cast<RecoveryMode>(recovery);
    options.compaction.ratio = ratio;
    options.compaction.min_log_bytes = static_cast<uint64_t>(min_bytes);
    options.compaction.automatic = automatic;
    engine_ = Engine(options);
  }

  val Recover(uintptr_t ptr, size_t len) {
    RecoveryReport report;
    Status s = engine_.Recover(std::string_view(reinterpret_cast<const char*>(ptr), len), &report);
    val out = StatusVal(s);
    out.set("generation", static_cast<double>(report.generation));
    out.set("fileBytes", static_cast<double>(report.file_bytes));
    out.set("validBytes", static_cast<double>(report.valid_bytes));
    out.set("records", static_cast<double>(report.records));
    out.set("needsRewrite", report.needs_rewrite);
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

  // Applies an operation stream. All operations are checked first, so on an
  // error nothing has changed. Returns whether it succeeded; LastStatus()
  // tells why not (a status object per call would cost more than the rest
  // of a small write).
  bool Apply(uintptr_t ptr, size_t len) {
    const std::string_view all(reinterpret_cast<const char*>(ptr), len);
    last_status_ = Walk(all, /*apply=*/false);
    if (last_status_.ok()) last_status_ = Walk(all, /*apply=*/true);
    return last_status_.ok();
  }
  val LastStatus() const { return StatusVal(last_status_); }

  size_t PendingSize() const { return engine_.pending_size(); }
  // Moves the pending bytes out; returns their address (valid until the
  // next call that may grow memory or take pending bytes). Their length is
  // PendingSize() before the call.
  uintptr_t TakePending() {
    engine_.SwapPending(&out_);
    return reinterpret_cast<uintptr_t>(out_.data());
  }

  bool ShouldCompact() const { return engine_.ShouldCompact(); }
  val EncodeSnapshot() {
    out_ = engine_.EncodeSnapshot(&snapshot_);
    return View(out_);
  }
  void SnapshotInstalled() { engine_.SnapshotInstalled(snapshot_); }

  size_t Size() const { return engine_.index().size(); }

  // Looks up the key at [key, key + len). If present, writes three u32 at
  // `out` (4-aligned): the value's address and byte length, and its kind as
  // in Export (text only when values_as_text; a tagged value's address and
  // length exclude the tag byte). The address is valid until the next call
  // that changes the index or grows memory.
  bool Find(uintptr_t key, size_t len, bool values_as_text, uintptr_t out) const {
    std::string_view v;
    if (!engine_.index().Get(std::string_view(reinterpret_cast<const char*>(key), len), &v)) {
      return false;
    }
    uint32_t kind = 2;
    if (values_as_text && !v.empty() && v[0] == '\x01') {
      kind = 1;
      v.remove_prefix(1);
    } else if (values_as_text && Utf16Length(v) >= 0) {
      kind = 0;
    }
    auto* o = reinterpret_cast<uint32_t*>(out);
    o[0] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(v.data()));
    o[1] = static_cast<uint32_t>(v.size());
    o[2] = kind;
    return true;
  }
  bool Contains(uintptr_t key, size_t len) const {
    return engine_.index().Contains(std::string_view(reinterpret_cast<const char*>(key), len));
  }

  // Exports entries [start, ...) until about max_bytes are gathered, for
  // JavaScript to fill its map or to answer at(). Fills text_ (keys, and
  // values when values_as_text, as one UTF-8 string), bin_ (other values) and
  // meta_, six u32 per entry: key UTF-16 length (or 0xffffffff when the key
  // is not valid UTF-8 and its bytes are in bin_), key byte length, key
  // offset in bin_, value kind (0 text, 1 tagged bytes, 2 raw bytes), value
  // length in UTF-16 units (text) or bytes, value offset in bin_. Returns
  // the next start.
  size_t Export(size_t start, size_t max_bytes, bool values_as_text) {
    text_.clear();
    bin_.clear();
    meta_.clear();
    if (!engine_.index().PositionsReady()) engine_.PreparePositions();
    size_t i = start;
    const size_t n = engine_.index().size();
    for (; i < n && text_.size() + bin_.size() < max_bytes; ++i) {
      std::string_view k, v;
      engine_.index().At(i, &k, &v);
      int64_t k16 = Utf16Length(k);
      meta_.push_back(k16 < 0 ? 0xffffffffu : static_cast<uint32_t>(k16));
      meta_.push_back(static_cast<uint32_t>(k.size()));
      if (k16 < 0) {
        meta_.push_back(static_cast<uint32_t>(bin_.size()));
        bin_.append(k);
      } else {
        meta_.push_back(0);
        text_.append(k);
      }
      int64_t v16 = -1;
      if (values_as_text && !v.empty() && v[0] == '\x01') {
        meta_.push_back(1);
        v.remove_prefix(1);
      } else if (values_as_text && (v16 = Utf16Length(v)) >= 0) {
        meta_.push_back(0);
      } else {
        meta_.push_back(2);
      }
      if (v16 >= 0) {
        meta_.push_back(static_cast<uint32_t>(v16));
        meta_.push_back(0);
        text_.append(v);
      } else {
        meta_.push_back(static_cast<uint32_t>(v.size()));
        meta_.push_back(static_cast<uint32_t>(bin_.size()));
        bin_.append(v);
      }
    }
    return i;
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
  static val View(const std::string& s) {
    return val(emscripten::typed_memory_view(
        s.size(), reinterpret_cast<const uint8_t*>(s.data())));
  }

  Status Walk(std::string_view in, bool apply) {
    const uint32_t max = engine_.options().max_record_size;
    auto too_big = [max](size_t n) {
      return Status::InvalidArgument("record of " + std::to_string(n) +
                                     " bytes exceeds the maximum record size of " +
                                     std::to_string(max) + " bytes");
    };
    while (!in.empty()) {
      const auto kind = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      std::string_view key, value;
      Status s;
      if (kind == log::kPut || kind == log::kDelete) {
        if (!ReadKeyValue(&in, kind == log::kPut, &key, &value)) break;
        if (!apply) {
          size_t n = kind == log::kPut ? log::PutPayloadSize(key, value) : key.size();
          if (n > max) return too_big(n);
          continue;
        }
        s = kind == log::kPut ? engine_.Put(key, value) : engine_.Delete(key);
      } else if (kind == log::kClear) {
        if (apply) s = engine_.Clear();
      } else if (kind == log::kBatch && in.size() >= 4) {
        uint32_t count = DecodeFixed32(in.data());
        in.remove_prefix(4);
        WriteBatch batch;
        for (uint32_t j = 0; j < count; ++j) {
          if (in.empty()) return Status::InvalidArgument("truncated operation stream");
          const auto op = static_cast<uint8_t>(in[0]);
          in.remove_prefix(1);
          if ((op != log::kPut && op != log::kDelete) ||
              !ReadKeyValue(&in, op == log::kPut, &key, &value)) {
            return Status::InvalidArgument("malformed batch in operation stream");
          }
          if (op == log::kPut) {
            batch.Put(key, value);
          } else {
            batch.Delete(key);
          }
        }
        if (!apply && batch.PayloadSize() > max) return too_big(batch.PayloadSize());
        if (apply) s = engine_.Write(batch);
      } else {
        return Status::InvalidArgument("malformed operation stream");
      }
      if (!s.ok()) return s;
    }
    if (!in.empty()) return Status::InvalidArgument("truncated operation stream");
    return Status::OK();
  }

  Engine engine_;
  Status last_status_;
  Engine::Snapshot snapshot_;
  std::string out_, text_, bin_;
  std::vector<uint32_t> meta_;
};

}  // namespace
}  // namespace pmap

EMSCRIPTEN_BINDINGS(persistent_map) {
  emscripten::class_<pmap::WasmEngine>("Engine")
      .constructor<uint32_t, int, double, double, bool>()
      .function("recover", &pmap::WasmEngine::Recover)
      .function("apply", &pmap::WasmEngine::Apply)
      .function("lastStatus", &pmap::WasmEngine::LastStatus)
      .function("pendingSize", &pmap::WasmEngine::PendingSize)
      .function("takePending", &pmap::WasmEngine::TakePending)
      .function("shouldCompact", &pmap::WasmEngine::ShouldCompact)
      .function("encodeSnapshot", &pmap::WasmEngine::EncodeSnapshot)
      .function("snapshotInstalled", &pmap::WasmEngine::SnapshotInstalled)
      .function("size", &pmap::WasmEngine::Size)
      .function("find", &pmap::WasmEngine::Find)
      .function("contains", &pmap::WasmEngine::Contains)
      .function("exportEntries", &pmap::WasmEngine::Export)
      .function("exportText", &pmap::WasmEngine::ExportText)
      .function("exportBin", &pmap::WasmEngine::ExportBin)
      .function("exportMeta", &pmap::WasmEngine::ExportMeta)
      .function("releaseExport", &pmap::WasmEngine::ReleaseExport)
      .function("foreignValues", &pmap::WasmEngine::ForeignValues)
      .function("stats", &pmap::WasmEngine::Stats);
}
