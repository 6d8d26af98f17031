// A Node child process driven line by line (shared_child.mjs, nats_child.mjs):
// one command per line on its stdin, one JSON answer per line on its stdout.

import { spawn } from 'node:child_process';

const children = new Set(); // alive, for killChildren()

/** Kills every child process still alive; resolves once they are gone. */
export function killChildren() {
  return Promise.all([...children].map((c) => c.kill()));
}

/** Starts `script`: { proc, lines, exited, send(line), next(pred), ask(line, pred), kill(), close() }. */
export function lineChild(script) {
  const proc = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let buffered = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, nl)));
      buffered = buffered.slice(nl + 1);
      for (const w of [...waiters]) w();
    }
  });
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const c = {
    proc,
    lines,
    exited,
    send: (line) => proc.stdin.write(`${line}\n`),
    /** The first answer (from `from` on) that `pred` accepts; an error answer rejects. */
    next(pred, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = from; i < lines.length; i++) {
            if (lines[i].error) {
              reject(new Error(`child: ${lines[i].error}: ${lines[i].message}`));
              return true;
            }
            if (pred(lines[i])) {
              resolve(lines[i]);
              return true;
            }
          }
          return false;
        };
        if (check()) return;
        const w = () => {
          if (check()) waiters.splice(waiters.indexOf(w), 1);
        };
        waiters.push(w);
        exited.then(() => reject(new Error(`child exited before answering: ${JSON.stringify(lines.slice(-3))}`)));
      });
    },
    ask(line, pred) {
      const from = lines.length;
      c.send(line);
      return c.next(pred, from);
    },
    kill() {
      proc.kill('SIGKILL');
      return exited;
    },
    /** Closes its map and waits for it to exit. */
    async close() {
      await c.ask('close', (m) => m.closed);
      await exited;
    },
  };
  children.add(c);
  exited.then(() => children.delete(c));
  return c;
}
