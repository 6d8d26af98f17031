// pmap: command-line tool for persistent-map stores.
//
//   pmap <command> FILE [args] [options]
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

constexpr int kExitUsage = 64;  // EX_USAGE

struct Command {
  const char* name;
  const char* args;  // shown in the usage line
  size_t min_args;   // positional arguments, FILE included
  size_t max_args;
  bool recovery;    // accepts --recovery
  bool neutralize;  // accepts --neutralize-formulas
  Status (*run)(const Invocation&);
  const char* summary;  // one line for pmap --help
  const char* help;
};

const Command kCommands[] = {
    {"stat", "FILE", 1, 1, true, false, pmap::cli::Stat,
     "statistics and recovery findings",
     "Prints the store's statistics and what recovery found (read-only)."},
    {"get", "FILE KEY", 2, 2, true, false, pmap::cli::Get,
     "print the value of KEY as JSON",
     "Prints the value of KEY as JSON (bytes as {\"$bytes\":\"<base64>\"})."},
    {"set", "FILE KEY JSON", 3, 3, true, false, pmap::cli::Set,
     "store a JSON value under KEY",
     "Stores the JSON value under KEY ({\"$bytes\":\"<base64>\"} for bytes),\n"
     "creating the store if it does not exist."},
    {"del", "FILE KEY", 2, 2, true, false, pmap::cli::Del, "delete KEY",
     "Deletes KEY; fails (exit 1) if it is absent."},
    {"dump", "FILE", 1, 1, true, false, pmap::cli::Dump,
     "print all entries as JSON lines",
     "Prints one line {\"key\":...,\"value\":...} per entry, in insertion "
     "order."},
    {"export-csv", "FILE [OUT.csv]", 1, 2, true, true, pmap::cli::ExportCsv,
     "write the entries as CSV",
     "Writes the entries as CSV (header key,value; values as JSON text) to\n"
     "OUT.csv or standard output. --neutralize-formulas prefixes ' to fields\n"
     "that a spreadsheet would run as formulas (breaks exact round trips)."},
    {"import-csv", "FILE IN.csv", 2, 2, true, false, pmap::cli::ImportCsv,
     "put the rows of a CSV file, atomically",
     "Puts every row of IN.csv (header key,value; values as JSON text) in one\n"
     "atomic batch: on any error nothing is written. Creates the store if\n"
     "missing."},
    {"compact", "FILE", 1, 1, true, false, pmap::cli::Compact,
     "rewrite the log with only live entries",
     "Rewrites the log with only the live entries."},
    {"verify", "FILE", 1, 1, false, false, pmap::cli::Verify,
     "check every record, report damage",
     "Checks every record without opening the store (no lock, no changes)\n"
     "and lists each damaged byte range. Exit 0 if clean, 2 if damaged."},
};

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

std::string CommandUsage(const Command& c) {
  std::string u = std::string("usage: pmap ") + c.name + " " + c.args;
  if (c.recovery) u += " [--recovery=MODE]";
  if (c.neutralize) u += " [--neutralize-formulas]";
  return u + "\n";
}

std::string GlobalHelp() {
  std::string u = "usage: pmap <command> FILE [args] [options]\n\ncommands:\n";
  for (const Command& c : kCommands) {
    std::string line = std::string("  ") + c.name + " " + c.args;
    line.resize(30, ' ');
    u += line + c.summary + "\n";
  }
  u += std::string("\noptions:\n  --recovery=MODE   ") +
       pmap::RecoveryModeNames() + " (default " +
       pmap::RecoveryModeName(pmap::RecoveryMode::kTolerateTornTail) + ")\n" +
       "  --help, -h        usage (pmap help COMMAND for one command)\n"
       "  --                end of options (for keys that start with --)\n"
       "\nexit codes:\n"
       "  0   success\n"
       "  1   not found (missing key or store) or invalid argument/input\n"
       "  2   corruption (verify: damage found)\n"
       "  3   locked: another writer has the store open\n"
       "  4   I/O error\n"
       "  64  usage error\n";
  return u;
}

int Usage(const std::string& message, const std::string& usage) {
  std::fprintf(stderr, "pmap: %s\n%s", message.c_str(), usage.c_str());
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
  Status s = command->run(inv);
  if (!s.ok()) std::fprintf(stderr, "pmap: %s\n", s.message().c_str());
  return ExitCode(s);
}
