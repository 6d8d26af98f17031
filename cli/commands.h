// The commands of the native CLI, one function each. cli/main.cc parses the
// command line and calls them; they write their output to stdout and return
// a Status that main.cc turns into a message and an exit code.
#ifndef PMAP_CLI_COMMANDS_H_
#define PMAP_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "log_reader.h"
#include "status.h"

namespace pmap {
namespace cli {

// A parsed command line: the positional arguments after the command name
// (args[0] is always STORE, the store's file) and the options.
struct Invocation {
  std::vector<std::string> args;
  RecoveryMode recovery = RecoveryMode::kTolerateTornTail;
  bool neutralize_formulas = false;
};

Status Stat(const Invocation& inv);    // stat STORE
Status Get(const Invocation& inv);     // get STORE KEY
Status Set(const Invocation& inv);     // set STORE KEY JSON
Status Delete(const Invocation& inv);  // delete STORE KEY
Status Dump(const Invocation& inv);    // dump STORE
// export-csv STORE [OUT.csv]; OUT.csv "-" (or none) is standard output.
Status ExportCsv(const Invocation& inv);
// import-csv STORE IN.csv; IN.csv "-" is standard input.
Status ImportCsv(const Invocation& inv);
Status Compact(const Invocation& inv);  // compact STORE

// True if the file at `path` begins with the SQLite header ("SQLite format
// 3\0"): a store of the npm package's sqlite backend, which only its CLI
// reads. False if it does not, or cannot be read.
bool IsSqliteDatabase(const std::string& path);
// Walks the file in salvage mode without opening the store. Returns
// Corruption if any damage was found, a bad header included.
Status Verify(const Invocation& inv);  // verify STORE

}  // namespace cli
}  // namespace pmap

#endif  // PMAP_CLI_COMMANDS_H_
