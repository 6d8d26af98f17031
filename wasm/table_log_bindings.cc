// embind bindings for table-shaped backends (js/backends/table/table_log.js),
// which store rows instead of the log. Thin like bindings.cc: LogRun
// parses, log_writer encodes, this file only moves bytes.
//
// decode(ptr, len, withHeader) parses a run of log bytes (LogRun) and fills
// ops(): five u32 per operation, in order:
//   kind | flags, key offset, key length, value offset, value length
// with offsets into the run (the operations of TAGGED records included, in
// place). kind: 1 put, 2 delete, 3 clear. Flags:
//   0x100  the key is valid UTF-8
//   0x200  the value is text (ValueKind::kText, src/value_kind.h)
// and clients(): four u32 per client table entry the run sets (TAGGED and
// CLIENTS records), in order: client id low, high, seq low, high.
// encode(generation, ptr, rowsLen, clientsLen) turns a row stream (rows in
// order, each a u32 key length, the key, a u32 value length, the value;
// little-endian) and after it a client stream (entries oldest first, each a
// u64 client id and a u64 seq) into a log: a header with that generation,
// CLIENTS records, then one PUT record per row, and returns a view of it.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstdint>
#include <string>
#include <vector>

#include "coding.h"
#include "log_format.h"
#include "log_run.h"
#include "log_writer.h"
#include "utf8.h"
#include "value_kind.h"

namespace pmap {
namespace {

using emscripten::val;

constexpr uint32_t kKeyIsText = 0x100;
constexpr uint32_t kValueIsText = 0x200;
// The CLIENTS records of an encoded log are at most this long, the
// smallest maxRecordSize the JavaScript API allows (js/map/options.js), so
// that a store opens under every limit.
constexpr uint32_t kClientsRecordLimit = 64;

class WasmTableLog {
 public:
  val Decode(uintptr_t ptr, size_t len, bool with_header) {
    ops_.clear();
    clients_.clear();
    const char* base = reinterpret_cast<const char*>(ptr);
    LogRun run;  // views into memory JavaScript frees after this call
    Status s = run.Parse(std::string_view(base, len), with_header);
    if (s.ok()) {
      auto offset = [base](std::string_view part) {
        return static_cast<uint32_t>(part.data() - base);
      };
      run.ForEachOp(
          [&](std::string_view k, std::string_view v) {
            const bool text = ClassifyValue(v, nullptr) == ValueKind::kText;
            ops_.insert(ops_.end(),
                        {log::kPut | KeyFlag(k) | (text ? kValueIsText : 0),
                         offset(k), static_cast<uint32_t>(k.size()), offset(v),
                         static_cast<uint32_t>(v.size())});
          },
          [&](std::string_view k) {
            ops_.insert(ops_.end(), {log::kDelete | KeyFlag(k), offset(k),
                                     static_cast<uint32_t>(k.size()), 0, 0});
          },
          [&]() {
            ops_.insert(ops_.end(), {log::kClear, 0, 0, 0, 0});
          });
      run.ForEachClient([&](uint64_t client, uint64_t seq) {
        clients_.insert(clients_.end(),
                        {static_cast<uint32_t>(client),
                         static_cast<uint32_t>(client >> 32),
                         static_cast<uint32_t>(seq),
                         static_cast<uint32_t>(seq >> 32)});
      });
    }
    val out = val::object();
    out.set("ok", s.ok());
    out.set("code", std::string(s.CodeName()));
    out.set("message", s.message());
    out.set("hasHeader", run.has_header());
    out.set("generation", static_cast<double>(run.generation()));
    return out;
  }

  val Ops() const {
    return val(emscripten::typed_memory_view(ops_.size(), ops_.data()));
  }
  val Clients() const {
    return val(emscripten::typed_memory_view(clients_.size(), clients_.data()));
  }

  // Returns null if a stream is malformed (a bug in the caller).
  val Encode(double generation, uintptr_t ptr, size_t rows_len,
             size_t clients_len) {
    out_.clear();
    log::AppendFileHeader(static_cast<uint64_t>(generation), &out_);
    if (clients_len % 16 != 0) return val::null();
    std::vector<ClientEntry> clients(clients_len / 16);
    const char* c = reinterpret_cast<const char*>(ptr) + rows_len;
    for (ClientEntry& e : clients) {
      e.client = DecodeFixed64(c);
      e.seq = DecodeFixed64(c + 8);
      c += 16;
    }
    log::AppendClients(clients, kClientsRecordLimit, &out_);
    std::string_view in(reinterpret_cast<const char*>(ptr), rows_len);
    while (!in.empty()) {
      std::string_view key, value;
      if (!Field(&in, &key) || !Field(&in, &value)) return val::null();
      log::AppendPut(key, value, &out_);
    }
    return val(emscripten::typed_memory_view(
        out_.size(), reinterpret_cast<const uint8_t*>(out_.data())));
  }

  void Release() {
    std::vector<uint32_t>().swap(ops_);
    std::vector<uint32_t>().swap(clients_);
    std::string().swap(out_);
  }

 private:
  static uint32_t KeyFlag(std::string_view k) {
    return IsValidUtf8(k) ? kKeyIsText : 0;
  }

  // A u32 length and that many bytes.
  static bool Field(std::string_view* in, std::string_view* out) {
    if (in->size() < 4) return false;
    const uint32_t n = DecodeFixed32(in->data());
    in->remove_prefix(4);
    if (n > in->size()) return false;
    *out = in->substr(0, n);
    in->remove_prefix(n);
    return true;
  }

  std::vector<uint32_t> ops_;
  std::vector<uint32_t> clients_;
  std::string out_;
};

}  // namespace
}  // namespace pmap

EMSCRIPTEN_BINDINGS(persistent_map_table_log) {
  emscripten::class_<pmap::WasmTableLog>("TableLog")
      .constructor<>()
      .function("decode", &pmap::WasmTableLog::Decode)
      .function("ops", &pmap::WasmTableLog::Ops)
      .function("clients", &pmap::WasmTableLog::Clients)
      .function("encode", &pmap::WasmTableLog::Encode)
      .function("release", &pmap::WasmTableLog::Release);
}
