// persistent-map-native: the command-line tool for persistent-map stores,
// built natively. (Not `pmap`, which is procps' process-memory tool on
// every Debian and Ubuntu machine.)
//
//   persistent-map-native <command> STORE [args] [options]
//
// The commands, their aliases, exit codes and output are those of the npm
// package's CLI (js/cli/main.js); tests/js/cli_parity.test.js runs both.
//
// This file parses the command line and dispatches; cli/commands.cc holds
// the commands.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "recovery_mode.h"

namespace {

using pmap::Status;
using pmap::cli::Invocation;

constexpr const char* kProgram = "persistent-map-native";
constexpr int kExitUsage = 64;  // EX_USAGE

struct Command {
  const char* name;
  const char* alias;  // another accepted name, or nullptr
  const char* args;   // shown in the usage line
  size_t min_args;    // positional arguments, STORE included
  size_t max_args;
  bool recovery;    // accepts --recovery
  bool neutralize;  // accepts --neutralize-formulas
  Status (*run)(const Invocation&);
  const char* summary;  // one line for --help
  const char* help;
};

const Command kCommands[] = {
    {"stat", nullptr, "STORE", 1, 1, true, false, pmap::cli::Stat,
     "statistics and recovery findings",
     "Prints the store's statistics and what recovery found (read-only)."},
    {"get", nullptr, "STORE KEY", 2, 2, true, false, pmap::cli::Get,
     "print the value of KEY as JSON",
     "Prints the value of KEY as JSON (bytes as {\"$bytes\":\"<base64>\"}).\n"
     "Exit 1 if KEY is absent."},
    {"set", nullptr, "STORE KEY JSON", 3, 3, true, false, pmap::cli::Set,
     "store a JSON value under KEY",
     "Stores the JSON value under KEY ({\"$bytes\":\"<base64>\"} for bytes),\n"
     "creating the store if it does not exist."},
    {"delete", "del", "STORE KEY", 2, 2, true, false, pmap::cli::Delete,
     "delete KEY",
     "Deletes KEY; fails (exit 1) if it is absent. Also spelled `del`."},
    {"dump", nullptr, "STORE", 1, 1, true, false, pmap::cli::Dump,
     "print all entries as JSON lines",
     "Prints one line {\"key\":...,\"value\":...} per entry, in insertion "
     "order."},
    {"export-csv", nullptr, "STORE [OUT.csv]", 1, 2, true, true,
     pmap::cli::ExportCsv, "write the entries as CSV",
     "Writes the entries as CSV (header key,value; values as JSON text; "
     "insertion\norder) to OUT.csv or standard output (also -). "
     "--neutralize-formulas prefixes '\nto fields that a spreadsheet would "
     "run as formulas (breaks exact round trips)."},
    {"import-csv", nullptr, "STORE IN.csv", 2, 2, true, false,
     pmap::cli::ImportCsv, "put the rows of a CSV file, atomically",
     "Puts every row of IN.csv (- for standard input; header key,value; "
     "values\nas JSON text; a UTF-8 byte order mark is skipped) in one atomic "
     "write: on\nany error nothing is written. Creates the store if missing."},
    {"compact", nullptr, "STORE", 1, 1, true, false, pmap::cli::Compact,
     "rewrite the log with only live entries",
     "Rewrites the store with only the live entries."},
    {"verify", nullptr, "STORE", 1, 1, false, false, pmap::cli::Verify,
     "check every record, report damage",
     "Checks every record without changing the store and lists each "
     "damaged\nbyte range. Exit 0 if clean, 2 if damaged."},
};

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (name == c.name || (c.alias != nullptr && name == c.alias)) return &c;
  }
  return nullptr;
}

std::string CommandUsage(const Command& c) {
  std::string u =
      std::string("usage: ") + kProgram + " " + c.name + " " + c.args;
  if (c.recovery) u += " [--recovery=MODE]";
  if (c.neutralize) u += " [--neutralize-formulas]";
  return u + "\n";
}

std::string GlobalHelp() {
  std::string u = std::string("usage: ") + kProgram +
                  " <command> STORE [args] [options]\n\ncommands:\n";
  for (const Command& c : kCommands) {
    std::string line = std::string("  ") + c.name + " " + c.args;
    line.resize(30, ' ');
    u += line + c.summary + "\n";
  }
  u += std::string("\noptions:\n  --recovery=MODE   ") +
       pmap::RecoveryModeNames() + " (default " +
       pmap::RecoveryModeName(pmap::RecoveryMode::kTolerateTornTail) + ")\n";
  u += std::string("  --help, -h        usage (") + kProgram +
       " help COMMAND for one command)\n";
  u += "  --                end of options (for keys that start with --)\n"
       "\nexit codes:\n"
       "  0   success\n"
       "  1   not found (missing key or store) or invalid argument/input\n"
       "  2   corruption (verify: damage found)\n"
       "  3   locked: another writer has the store open\n"
       "  4   I/O error\n"
       "  64  usage error, or STORE is an SQLite database (the npm package's\n"
       "      CLI, persistent-map, reads those)\n";
  return u;
}

int Usage(const std::string& message, const std::string& usage) {
  std::fprintf(stderr, "%s: %s\n%s", kProgram, message.c_str(), usage.c_str());
  return kExitUsage;
}

int ExitCode(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return 0;
    case Status::Code::kCorruption:
      return 2;
    case Status::Code::kLocked:
      return 3;
    case Status::Code::kIOError:
    case Status::Code::kClosed:
      return 4;
    default:
      return 1;
  }
}

int Help(const Command& c) {
  std::printf("%s\n%s\n", CommandUsage(c).c_str(), c.help);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  std::vector<std::string> options;
  bool help = false;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && (arg == "--help" || arg == "-h")) {
      help = true;
    } else if (!options_done && arg.size() > 2 &&
               arg.compare(0, 2, "--") == 0) {
      options.push_back(arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty()) {
    if (help && options.empty()) {
      std::fputs(GlobalHelp().c_str(), stdout);
      return 0;
    }
    return Usage("missing command", GlobalHelp());
  }
  if (positional[0] == "help") {
    if (positional.size() == 1) {
      std::fputs(GlobalHelp().c_str(), stdout);
      return 0;
    }
    const Command* c = FindCommand(positional[1]);
    if (c == nullptr || positional.size() > 2) {
      return Usage("unknown command '" + positional[1] + "'", GlobalHelp());
    }
    return Help(*c);
  }
  const Command* command = FindCommand(positional[0]);
  if (command == nullptr) {
    return Usage("unknown command '" + positional[0] + "'", GlobalHelp());
  }
  if (help) return Help(*command);

  Invocation inv;
  const std::string usage = CommandUsage(*command);
  for (const std::string& opt : options) {
    const std::string kRecovery = "--recovery=";
    if (command->recovery && opt.compare(0, kRecovery.size(), kRecovery) == 0) {
      if (!pmap::ParseRecoveryMode(opt.substr(kRecovery.size()),
                                   &inv.recovery)) {
        return Usage("unknown recovery mode in '" + opt + "' (" +
                         pmap::RecoveryModeNames() + ")",
                     usage);
      }
    } else if (command->neutralize && opt == "--neutralize-formulas") {
      inv.neutralize_formulas = true;
    } else {
      return Usage("unknown option '" + opt + "' for " + command->name, usage);
    }
  }
  inv.args.assign(positional.begin() + 1, positional.end());
  if (inv.args.size() < command->min_args) {
    return Usage("missing arguments for " + std::string(command->name), usage);
  }
  if (inv.args.size() > command->max_args) {
    return Usage("too many arguments for " + std::string(command->name), usage);
  }
  if (pmap::cli::IsSqliteDatabase(inv.args[0])) {
    // Not damage (exit 2): the wrong tool for this store.
    std::fprintf(stderr,
                 "%s: %s is an SQLite database (a store of the npm package's "
                 "sqlite backend), not a persistent-map log; read it with the "
                 "package's CLI, npx persistent-map %s %s, or with sqlite3\n",
                 kProgram, inv.args[0].c_str(), command->name,
                 inv.args[0].c_str());
    return kExitUsage;
  }
  Status s = command->run(inv);
  if (!s.ok()) std::fprintf(stderr, "%s: %s\n", kProgram, s.message().c_str());
  return ExitCode(s);
}
