#include "commands.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "csv.h"
#include "native/file_system.h"
#include "native/store.h"
#include "value_codec.h"
#include "write_batch.h"

namespace pmap {
namespace cli {
namespace {

constexpr size_t kChunkSize = 1 << 20;  // output buffer / import read size

// Buffers output and writes it to a FILE* in chunks of about kChunkSize.
class ChunkedWriter {
 public:
  ChunkedWriter(std::FILE* file, std::string name)
      : file_(file), name_(std::move(name)) {}
  std::string* buffer() { return &buf_; }
  // Writes the buffer out once it reaches a chunk; false after an error.
  bool MaybeFlush() { return buf_.size() < kChunkSize || Flush().ok(); }
  Status Flush() {
    if (status_.ok() && !buf_.empty() &&
        std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size()) {
      status_ = Status::IOError("cannot write " + name_ + ": " +
                                std::strerror(errno));
    }
    buf_.clear();
    if (status_.ok() && std::fflush(file_) != 0) {
      status_ = Status::IOError("cannot write " + name_ + ": " +
                                std::strerror(errno));
    }
    return status_;
  }

 private:
  std::FILE* file_;
  std::string name_;
  std::string buf_;
  Status status_;
};

Status OpenStore(const Invocation& inv, bool read_only, bool create,
                 std::unique_ptr<Store>* store,
                 RecoveryReport* report = nullptr) {
  const std::string& path = inv.args[0];
  // Checked here so that a read-only open of a missing store leaves nothing
  // behind (Store::Open would create the lock file first).
  if (!create && PosixFileSystem()->FileExists(path).IsNotFound()) {
    return Status::NotFound("no store at " + path);
  }
  StoreOptions options;
  options.durability = Durability::kSyncOnFlush;
  options.engine.recovery = inv.recovery;
  options.read_only = read_only;
  options.create_if_missing = create;
  return Store::Open(path, options, store, report);
}

// JSON text of a key, for messages and dump lines.
std::string KeyToJson(std::string_view key) {
  return nlohmann::json(std::string(key))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status WriteStdout(const std::string& text) {
  ChunkedWriter out(stdout, "standard output");
  *out.buffer() = text;
  return out.Flush();
}

}  // namespace

Status Stat(const Invocation& inv) {
  std::unique_ptr<Store> store;
  RecoveryReport report;
  Status s =
      OpenStore(inv, /*read_only=*/true, /*create=*/false, &store, &report);
  if (!s.ok()) return s;
  const EngineStats st = store->stats();
  std::string out = "path: " + inv.args[0] + "\n";
  out += "generation: " + std::to_string(st.generation) + "\n";
  out += "live records: " + std::to_string(st.live_records) + "\n";
  out += "total records: " + std::to_string(st.total_records) + "\n";
  out += "log bytes: " + std::to_string(st.log_bytes) + "\n";
  char ratio[32];
  std::snprintf(ratio, sizeof(ratio), "%.4f", st.dead_ratio);
  out += std::string("dead ratio: ") + ratio + "\n";
  out += "file size: " + std::to_string(report.file_bytes) + "\n";
  out += "damaged ranges: " + std::to_string(report.damaged.size()) + "\n";
  for (const DamagedRange& d : report.damaged) {
    out += "  damaged bytes [" + std::to_string(d.begin) + ", " +
           std::to_string(d.end) + "): " + d.reason + "\n";
  }
  return WriteStdout(out);
}

Status Get(const Invocation& inv) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(inv, true, false, &store);
  if (!s.ok()) return s;
  std::string value;
  if (!store->Get(inv.args[1], &value)) {
    return Status::NotFound("no key '" + inv.args[1] + "' in " + inv.args[0]);
  }
  return WriteStdout(ValueToText(value) + "\n");
}

Status Set(const Invocation& inv) {
  std::string value;
  Status s = TextToValue(inv.args[2], &value);
  if (!s.ok()) return s;
  std::unique_ptr<Store> store;
  s = OpenStore(inv, false, true, &store);
  if (s.ok()) s = store->Put(inv.args[1], value);
  if (s.ok()) s = store->Close();
  return s;
}

Status Delete(const Invocation& inv) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(inv, false, false, &store);
  bool existed = false;
  if (s.ok()) s = store->Delete(inv.args[1], &existed);
  if (s.ok()) s = store->Close();
  if (s.ok() && !existed) {
    return Status::NotFound("no key '" + inv.args[1] + "' in " + inv.args[0]);
  }
  return s;
}

Status Dump(const Invocation& inv) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(inv, true, false, &store);
  if (!s.ok()) return s;
  ChunkedWriter out(stdout, "standard output");
  store->ForEach([&](std::string_view key, std::string_view value) {
    std::string* buf = out.buffer();
    *buf += "{\"key\":" + KeyToJson(key) + ",\"value\":";
    *buf += ValueToText(value);
    *buf += "}\n";
    return out.MaybeFlush();
  });
  return out.Flush();
}

Status ExportCsv(const Invocation& inv) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(inv, true, false, &store);
  if (!s.ok()) return s;
  const bool to_file = inv.args.size() > 1 && inv.args[1] != "-";
  const std::string name = to_file ? inv.args[1] : "standard output";
  std::FILE* file = to_file ? std::fopen(name.c_str(), "wb") : stdout;
  if (file == nullptr) {
    return Status::IOError("cannot create " + name + ": " +
                           std::strerror(errno));
  }
  CsvOptions options;
  options.neutralize_formulas = inv.neutralize_formulas;
  ChunkedWriter out(file, name);
  AppendCsvRow({"key", "value"}, options, out.buffer());
  store->ForEach([&](std::string_view key, std::string_view value) {
    const std::string text = ValueToText(value);
    AppendCsvRow({key, text}, options, out.buffer());
    return out.MaybeFlush();
  });
  s = out.Flush();
  if (to_file && std::fclose(file) != 0 && s.ok()) {
    s = Status::IOError("cannot write " + name + ": " + std::strerror(errno));
  }
  return s;
}

Status ImportCsv(const Invocation& inv) {
  const bool from_stdin = inv.args[1] == "-";
  const std::string in_path = from_stdin ? "standard input" : inv.args[1];
  // The whole file becomes one batch before the store is touched, so a bad
  // row leaves the store exactly as it was.
  WriteBatch batch;
  CsvReader reader;
  bool header_seen = false;
  auto on_row = [&](std::vector<std::string>&& row) {
    const std::string where =
        "CSV line " + std::to_string(reader.row_start_line());
    if (!header_seen) {
      header_seen = true;
      if (row.size() == 2 && row[0] == "key" && row[1] == "value") {
        return Status::OK();
      }
      return Status::InvalidArgument(
          where + ": the header must be exactly 'key,value'");
    }
    std::string value;
    Status s = TextToValue(row[1], &value);
    if (!s.ok())
      return Status::InvalidArgument(where + ", column 2: " + s.message());
    batch.Put(row[0], value);
    return Status::OK();
  };
  std::FILE* file = from_stdin ? stdin : std::fopen(in_path.c_str(), "rb");
  if (file == nullptr) {
    const int err = errno;
    std::string msg = "cannot open " + in_path + ": " + std::strerror(err);
    return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
  }
  std::string chunk(kChunkSize, '\0');
  Status s;
  while (s.ok()) {
    const size_t n = std::fread(&chunk[0], 1, chunk.size(), file);
    if (n == 0) break;
    s = reader.Feed(std::string_view(chunk.data(), n), on_row);
  }
  if (s.ok() && std::ferror(file)) {
    s = Status::IOError("cannot read " + in_path + ": " + std::strerror(errno));
  }
  if (!from_stdin) std::fclose(file);
  if (s.ok()) s = reader.Finish(on_row);
  if (s.ok() && !header_seen) {
    s = Status::InvalidArgument(
        "CSV line 1: the file is empty; expected the header 'key,value'");
  }
  if (!s.ok()) return Status::InvalidArgument(in_path + ": " + s.message());

  std::unique_ptr<Store> store;
  s = OpenStore(inv, false, true, &store);
  if (s.ok() && !batch.empty()) {
    s = store->Write(batch);
    if (s.IsInvalidArgument()) {
      s = Status::InvalidArgument("the import is one atomic batch record: " +
                                  s.message());
    }
  }
  if (s.ok()) s = store->Close();
  if (!s.ok()) return s;
  return WriteStdout("imported " + std::to_string(batch.count()) +
                     " entries\n");
}

Status Compact(const Invocation& inv) {
  std::unique_ptr<Store> store;
  Status s = OpenStore(inv, false, false, &store);
  if (!s.ok()) return s;
  const uint64_t before = store->stats().log_bytes;
  s = store->Compact();
  const uint64_t after = store->stats().log_bytes;
  if (s.ok()) s = store->Close();
  if (!s.ok()) return s;
  return WriteStdout("compacted " + inv.args[0] + ": " +
                     std::to_string(before) + " -> " + std::to_string(after) +
                     " bytes\n");
}

Status Verify(const Invocation& inv) {
  const std::string& path = inv.args[0];
  std::string contents;
  Status s = PosixFileSystem()->ReadFile(path, &contents);
  if (s.IsNotFound()) return Status::NotFound("no store at " + path);
  if (!s.ok()) return s;
  // The format's limit, not a store's: verify checks the bytes, and a
  // record a store with a larger max_record_size wrote is sound.
  LogReader reader(contents, log::kMaxMaxRecordSize, RecoveryMode::kSalvage);
  uint64_t generation = 0;
  s = reader.ReadHeader(&generation);
  if (!s.ok()) return Status::Corruption(path + ": " + s.message());
  uint64_t records = 0;
  uint8_t type;
  std::string_view payload;
  while (reader.ReadRecord(&type, &payload)) ++records;
  std::string out;
  uint64_t damaged_bytes = 0;
  for (const DamagedRange& d : reader.damaged()) {
    out += "damaged bytes [" + std::to_string(d.begin) + ", " +
           std::to_string(d.end) + "): " + d.reason + "\n";
    damaged_bytes += d.end - d.begin;
  }
  out += "records: " + std::to_string(records) + "\n";
  out += "bytes: " + std::to_string(contents.size()) + "\n";
  out += "generation: " + std::to_string(generation) + "\n";
  s = WriteStdout(out);
  if (!s.ok()) return s;
  if (!reader.status().ok()) {
    return Status::Corruption(path + ": " + reader.status().message());
  }
  if (!reader.damaged().empty()) {
    return Status::Corruption(
        path + ": " + std::to_string(reader.damaged().size()) +
        " damaged range(s), " + std::to_string(damaged_bytes) + " bytes");
  }
  return Status::OK();
}

bool IsSqliteDatabase(const std::string& path) {
  static constexpr char kMagic[] = "SQLite format 3";  // and its '\0'
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char head[sizeof(kMagic)];
  const bool sqlite = std::fread(head, 1, sizeof(head), file) == sizeof(head) &&
                      std::memcmp(head, kMagic, sizeof(head)) == 0;
  std::fclose(file);
  return sqlite;
}

}  // namespace cli
}  // namespace pmap
