#!/usr/bin/env node
// persistent-map: the command-line tool of the npm package (its `bin`).
//
//   persistent-map <command> STORE [args] [options]
//
// This file parses the command line and maps errors to exit codes, which are
// those of the native CLI, persistent-map-native (tests/js/cli_parity.test.js
// runs both);
// js/cli/commands.js holds the commands.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as commands from './commands.js';
import { RECOVERY_MODES, recoveryModeList } from '../core.js';

const EXIT_USAGE = 64; // EX_USAGE

const COMMANDS = [
  {
    name: 'stat', args: 'STORE', min: 0, max: 0, run: commands.stat,
    summary: 'statistics and recovery findings',
    help: "Prints the store's statistics and what recovery found (read-only).",
  },
  {
    name: 'get', args: 'STORE KEY', min: 1, max: 1, run: commands.get,
    summary: 'print the value of KEY as JSON',
    help: 'Prints the value of KEY as JSON (bytes as {"$bytes":"<base64>"}).\nExit 1 if KEY is absent.',
  },
  {
    name: 'set', args: 'STORE KEY JSON', min: 2, max: 2, run: commands.set,
    summary: 'store a JSON value under KEY',
    help: 'Stores the JSON value under KEY ({"$bytes":"<base64>"} for bytes),\ncreating the store if it does not exist.',
  },
  {
    name: 'delete', alias: 'del', args: 'STORE KEY', min: 1, max: 1, run: commands.del,
    summary: 'delete KEY',
    help: 'Deletes KEY; fails (exit 1) if it is absent. Also spelled `del`.',
  },
  {
    name: 'dump', args: 'STORE', min: 0, max: 0, run: commands.dump,
    summary: 'print all entries as JSON lines',
    help: 'Prints one line {"key":...,"value":...} per entry, in insertion order.',
  },
  {
    name: 'export-csv', args: 'STORE [OUT.csv]', min: 0, max: 1, run: commands.exportCsv, neutralize: true,
    summary: 'write the entries as CSV',
    help: 'Writes the entries as CSV (header key,value; values as JSON text; insertion\norder) to OUT.csv or standard output (also -). --neutralize-formulas prefixes \'\nto fields that a spreadsheet would run as formulas (breaks exact round trips).',
  },
  {
    name: 'import-csv', args: 'STORE IN.csv', min: 1, max: 1, run: commands.importCsv,
    summary: 'put the rows of a CSV file, atomically',
    help: 'Puts every row of IN.csv (- for standard input; header key,value; values\nas JSON text; a UTF-8 byte order mark is skipped) in one atomic write: on\nany error nothing is written. Creates the store if missing.',
  },
  {
    name: 'compact', args: 'STORE', min: 0, max: 0, run: commands.compact,
    summary: 'rewrite the log with only live entries',
    help: 'Rewrites the store with only the live entries.',
  },
  {
    name: 'verify', args: 'STORE', min: 0, max: 0, run: commands.verify, recovery: false,
    summary: 'check every record, report damage',
    help: 'Checks every record without changing the store and lists each damaged\nbyte range. Exit 0 if clean, 2 if damaged.',
  },
];

const GLOBAL_HELP = `usage: persistent-map <command> STORE [args] [options]

commands:
${COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(28)}${c.summary}`).join('\n')}

STORE is a file: a persistent-map log (the fs backend, also read by
persistent-map-native) or a SQLite database (the sqlite backend), told
apart by its first bytes; a new store is SQLite if its name ends in
.sqlite, .sqlite3 or .db.

options:
  --backend=fs|sqlite  the kind of store, instead of telling it from the file
  --recovery=MODE      ${recoveryModeList('')} (default ${RECOVERY_MODES[0]})
  --exclusive          fail (exit 3) if another process has the store open,
                       instead of sharing it with that process
  --help, -h           usage (persistent-map help COMMAND for one command)
  --                   end of options (for keys that start with --)

exit codes:
  0   success
  1   not found (missing key or store) or invalid argument/input
  2   corruption (verify: damage found)
  3   locked: another process has the store open exclusively (or, with
      --exclusive, at all)
  4   I/O error
  64  usage error
`;

function usageLine(c) {
  let u = `usage: persistent-map ${c.name} ${c.args} [--backend=fs|sqlite] [--exclusive]`;
  if (c.recovery !== false) u += ' [--recovery=MODE]';
  if (c.neutralize) u += ' [--neutralize-formulas]';
  return `${u}\n`;
}

const EXIT_CODES = { CORRUPT: 2, LOCKED: 3, IO: 4, CLOSED: 4, QUOTA: 4 };

function exitCode(err) {
  return EXIT_CODES[err.code] ?? 1;
}

class UsageError extends Error {}

function parse(argv) {
  const positional = [];
  const options = [];
  let help = false;
  let done = false;
  for (const arg of argv) {
    if (!done && arg === '--') done = true;
    else if (!done && (arg === '--help' || arg === '-h')) help = true;
    else if (!done && arg.startsWith('--') && arg.length > 2) options.push(arg);
    else positional.push(arg);
  }
  return { positional, options, help };
}

function findCommand(name) {
  return COMMANDS.find((c) => c.name === name || c.alias === name);
}

function invocation(command, positional, options) {
  const usage = usageLine(command);
  const inv = { recovery: RECOVERY_MODES[0], backend: undefined, neutralizeFormulas: false, exclusive: false };
  for (const opt of options) {
    const [name, value] = opt.includes('=') ? [opt.slice(0, opt.indexOf('=')), opt.slice(opt.indexOf('=') + 1)] : [opt, undefined];
    if (name === '--recovery' && command.recovery !== false) {
      if (!RECOVERY_MODES.includes(value)) {
        throw new UsageError(`unknown recovery mode in '${opt}' (${recoveryModeList('')})\n${usage}`);
      }
      inv.recovery = value;
    } else if (name === '--backend') {
      if (value !== 'fs' && value !== 'sqlite') throw new UsageError(`unknown backend in '${opt}' (fs or sqlite)\n${usage}`);
      inv.backend = value;
    } else if (name === '--exclusive' && value === undefined) {
      inv.exclusive = true;
    } else if (name === '--neutralize-formulas' && command.neutralize && value === undefined) {
      inv.neutralizeFormulas = true;
    } else {
      throw new UsageError(`unknown option '${opt}' for ${command.name}\n${usage}`);
    }
  }
  const args = positional.slice(1);
  if (args.length < 1 + command.min) throw new UsageError(`missing arguments for ${command.name}\n${usage}`);
  if (args.length > 1 + command.max) throw new UsageError(`too many arguments for ${command.name}\n${usage}`);
  inv.file = args[0];
  inv.args = args.slice(1);
  return inv;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const { positional, options, help } = parse(argv);
  try {
    if (positional.length === 0) {
      if (help && options.length === 0) {
        stdout.write(GLOBAL_HELP);
        return 0;
      }
      throw new UsageError(`missing command\n${GLOBAL_HELP}`);
    }
    if (positional[0] === 'help') {
      if (positional.length === 1) {
        stdout.write(GLOBAL_HELP);
        return 0;
      }
      const c = findCommand(positional[1]);
      if (!c || positional.length > 2) throw new UsageError(`unknown command '${positional[1]}'\n${GLOBAL_HELP}`);
      stdout.write(`${usageLine(c)}\n${c.help}\n`);
      return 0;
    }
    const command = findCommand(positional[0]);
    if (!command) throw new UsageError(`unknown command '${positional[0]}'\n${GLOBAL_HELP}`);
    if (help) {
      stdout.write(`${usageLine(command)}\n${command.help}\n`);
      return 0;
    }
    await command.run(invocation(command, positional, options), stdout);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`persistent-map: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err?.code === undefined) throw err; // a bug: let Node print the stack
    stderr.write(`persistent-map: ${err.message}\n`);
    return exitCode(err);
  }
}

// Run when executed (also through the npm bin symlink), not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
