// libFuzzer harness for the operation stream (src/op_stream.h): any bytes
// must parse or be refused without crashing, and
//   * a refused stream leaves the engine exactly as it was;
//   * an accepted one writes log bytes that replay, in strict mode, to the
//     entries the engine holds;
//   * no record's payload is longer than its operation's bytes in the
//     stream plus kMaxPayloadExcess (what js/core.js trusts without asking),
//     but for a TAGGED, whose record is at most twice its bytes;
//   * the replayed log has the engine's client table.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine.h"
#include "log_format.h"
#include "op_stream.h"

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

void Check(bool ok) {
  if (!ok) std::abort();
}

Entries EntriesOf(const pmap::Engine& engine) {
  Entries out;
  engine.index().ForEach([&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  pmap::EngineOptions options;
  options.max_record_size = 256;  // small, so that refusals happen
  options.recovery = pmap::RecoveryMode::kStrict;

  pmap::OpStreamReader reader(stream);
  pmap::StreamOp op;
  while (reader.Next(&op)) {
    if (op.type == pmap::log::kTagged) {
      Check(op.payload_size <= 2 * op.stream_bytes);
    } else {
      Check(op.payload_size <= op.stream_bytes + pmap::kMaxPayloadExcess);
    }
  }

  pmap::Engine engine(options);
  pmap::RecoveryReport report;
  Check(engine.Recover("", &report).ok());
  Check(engine.Put("before", "1").ok());
  const Entries before = EntriesOf(engine);
  const size_t pending = engine.pending_size();

  pmap::Status s = pmap::ApplyOpStream(stream, &engine);
  Check(s.ok() == pmap::CheckOpStream(stream, options.max_record_size).ok());
  if (!s.ok()) {
    Check(s.IsInvalidArgument());
    Check(EntriesOf(engine) == before);
    Check(engine.pending_size() == pending);
    return 0;
  }
  pmap::Engine replayed(options);
  Check(replayed.Recover(engine.TakePending(), &report).ok());
  Check(EntriesOf(replayed) == EntriesOf(engine));
  Check(replayed.clients().size() == engine.clients().size());
  pmap::OpStreamReader again(stream);
  while (again.Next(&op)) {
    if (op.type == pmap::log::kTagged) {
      Check(replayed.ClientSeq(op.client) == engine.ClientSeq(op.client));
    }
  }
  return 0;
}
