// libFuzzer harness for log replay: any bytes, in every recovery mode, must
// replay without crashing, hanging or allocating by a length read from the
// input, and the outcomes must agree with each other:
//   * tolerate-torn-tail accepting the file means its valid prefix replays
//     in strict mode to the same state;
//   * strict accepting means tolerate accepts with the same state and no
//     damage;
//   * salvage fails only when the header does;
//   * a follower that recovered the header alone and then follows the
//     records (Engine::Follow) accepts exactly what strict mode accepts,
//     with the same state and client table.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine.h"

namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

pmap::EngineOptions Options(pmap::RecoveryMode mode) {
  pmap::EngineOptions options;
  options.recovery = mode;
  options.max_record_size = 1 << 16;
  return options;
}

void EntriesOf(const pmap::Engine& engine, Entries* out) {
  out->clear();
  engine.index().ForEach([&](std::string_view k, std::string_view v) {
    out->emplace_back(std::string(k), std::string(v));
    return true;
  });
}

pmap::Status Replay(std::string_view log, pmap::RecoveryMode mode, Entries* out,
                    pmap::RecoveryReport* report,
                    pmap::Engine* engine_out = nullptr) {
  pmap::Engine engine(Options(mode));
  pmap::Status s = engine.Recover(log, report);
  EntriesOf(engine, out);
  if (engine_out != nullptr) *engine_out = std::move(engine);
  return s;
}

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view log(reinterpret_cast<const char*>(data), size);
  Entries tolerant, strict, salvaged, prefix;
  pmap::RecoveryReport tr, sr, vr, pr;
  pmap::Status ts = Replay(log, pmap::RecoveryMode::kTolerateTornTail, &tolerant, &tr);
  pmap::Engine strict_engine;
  pmap::Status ss =
      Replay(log, pmap::RecoveryMode::kStrict, &strict, &sr, &strict_engine);
  pmap::Status vs = Replay(log, pmap::RecoveryMode::kSalvage, &salvaged, &vr);
  if (ts.ok()) {
    Check(tr.valid_bytes <= size);
    pmap::Status ps = Replay(log.substr(0, tr.valid_bytes), pmap::RecoveryMode::kStrict,
                             &prefix, &pr);
    Check(ps.ok() && prefix == tolerant);
    Check(vs.ok() && salvaged == tolerant);
  }
  if (ss.ok()) {
    Check(ts.ok() && strict == tolerant && tr.damaged.empty());
  }
  if (!vs.ok()) Check(!ts.ok() && !ss.ok());
  if (size >= 32) {
    pmap::Engine follower(Options(pmap::RecoveryMode::kStrict));
    pmap::RecoveryReport hr;
    if (follower.Recover(log.substr(0, 32), &hr).ok()) {
      pmap::Status fs =
          follower.Follow(log.substr(32), [](const pmap::AppliedOp&) {});
      Check(fs.ok() == ss.ok());
      Entries followed;
      EntriesOf(follower, &followed);
      if (fs.ok()) {
        Check(followed == strict);
        Check(follower.clients().size() == strict_engine.clients().size());
        Check(follower.stats().total_records ==
              strict_engine.stats().total_records);
      } else {
        Check(followed.empty());
      }
    }
  }
  return 0;
}
