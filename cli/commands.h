// The commands of the pmap CLI, one function each. cli/pmap.cc parses the
// command line and calls them; they write their output to stdout and return
// a Status that pmap.cc turns into a message and an exit code.
#ifndef PMAP_CLI_COMMANDS_H_
#define PMAP_CLI_COMMANDS_H_

#include <string>
#include <vector>

#include "log_reader.h"
#include "status.h"

namespace pmap {
namespace cli {

// A parsed command line: the positional arguments after the command name
// (args[0] is always FILE) and the options.
struct Invocation {
  std::vector<std::string> args;
  RecoveryMode recovery = RecoveryMode::kTolerateTornTail;
  bool neutralize_formulas = false;
};

Status Stat(const Invocation& inv);       // stat FILE
Status Get(const Invocation& inv);        // get FILE KEY
Status Set(const Invocation& inv);        // set FILE KEY JSON
Status Del(const Invocation& inv);        // del FILE KEY
Status Dump(const Invocation& inv);       // dump FILE
Status ExportCsv(const Invocation& inv);  // export-csv FILE [OUT.csv]
Status ImportCsv(const Invocation& inv);  // import-csv FILE IN.csv
Status Compact(const Invocation& inv);    // compact FILE
// Walks the file in salvage mode without opening the store. Returns
// Corruption if any damage was found, InvalidArgument for a bad header.
Status Verify(const Invocation& inv);  // verify FILE

}  // namespace cli
}  // namespace pmap

#endif  // PMAP_CLI_COMMANDS_H_
