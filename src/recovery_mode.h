// Recovery modes: what replay does with a damaged log (docs/FORMAT.md,
// "Recovery"). Their names are the ones every driver accepts; this file is
// the one place they are spelled in C++.
#ifndef PMAP_RECOVERY_MODE_H_
#define PMAP_RECOVERY_MODE_H_

#include <string_view>

namespace pmap {

enum class RecoveryMode {
  kTolerateTornTail,  // drop a damaged tail; damage before valid data fails
  kStrict,            // any damage fails
  kSalvage,           // skip every damaged region, report each
};

// Parses a mode's name; false (and *mode unchanged) for any other text.
bool ParseRecoveryMode(std::string_view name, RecoveryMode* mode);
const char* RecoveryModeName(RecoveryMode mode);
// The names for messages: "tolerate-torn-tail, strict or salvage".
const char* RecoveryModeNames();

}  // namespace pmap

#endif  // PMAP_RECOVERY_MODE_H_
