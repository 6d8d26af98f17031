#include "recovery_mode.h"

namespace pmap {
namespace {

struct NamedMode {
  const char* name;
  RecoveryMode mode;
};

constexpr NamedMode kModes[] = {
    {"tolerate-torn-tail", RecoveryMode::kTolerateTornTail},
    {"strict", RecoveryMode::kStrict},
    {"salvage", RecoveryMode::kSalvage},
};

}  // namespace

bool ParseRecoveryMode(std::string_view name, RecoveryMode* mode) {
  for (const NamedMode& m : kModes) {
    if (name == m.name) {
      *mode = m.mode;
      return true;
    }
  }
  return false;
}

const char* RecoveryModeName(RecoveryMode mode) {
  for (const NamedMode& m : kModes) {
    if (m.mode == mode) return m.name;
  }
  return "?";
}

const char* RecoveryModeNames() {
  return "tolerate-torn-tail, strict or salvage";
}

}  // namespace pmap
