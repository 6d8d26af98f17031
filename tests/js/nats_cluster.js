// A three-node NATS JetStream cluster on loopback ports, for the tests and
// the benchmark: Debian's nats-server, each node with its own temporary
// store directory. Nodes can be killed (SIGKILL) and restarted with their
// data. start() resolves once JetStream has a meta leader (a stream can be
// created); stop() kills every node and removes the directories.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Whether nats-server is installed (scripts/setup.sh installs it). */
const haveNatsServer = spawnSync('nats-server', ['--version']).status === 0;

// A port nothing listens on now.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class NatsCluster {
  #dir = null;
  #nodes = []; // { name, port, clusterPort, dir, proc }

  /** Client URLs of every node, comma-separated (the natsBackend's `servers`). */
  get servers() {
    return this.#nodes.map((n) => `nats://127.0.0.1:${n.port}`).join(',');
  }

  /** The client URL of node i. */
  url(i) {
    return `nats://127.0.0.1:${this.#nodes[i].port}`;
  }

  /** Starts `size` nodes; resolves once JetStream answers through `ready(servers)`. */
  async start(ready, size = 3) {
    if (!haveNatsServer) throw new Error('no nats-server on PATH: run scripts/setup.sh, which installs Debian\'s nats-server');
    this.#dir = mkdtempSync(path.join(tmpdir(), 'pmap-nats-'));
    for (let i = 0; i < size; i++) {
      this.#nodes.push({ name: `n${i + 1}`, port: await freePort(), clusterPort: await freePort(), dir: path.join(this.#dir, `n${i + 1}`), proc: null });
    }
    for (let i = 0; i < size; i++) this.#spawn(i);
    await this.#waitReady(ready);
  }

  #spawn(i) {
    const n = this.#nodes[i];
    const routes = this.#nodes.filter((o) => o !== n).map((o) => `nats://127.0.0.1:${o.clusterPort}`).join(',');
    const args = ['-a', '127.0.0.1', '-p', String(n.port), '-n', n.name, '-js', '-sd', n.dir];
    if (this.#nodes.length > 1) args.push('--cluster_name', 'pmap', '--cluster', `nats://127.0.0.1:${n.clusterPort}`, '--routes', routes);
    n.proc = spawn('nats-server', args, { stdio: 'ignore' });
    n.proc.on('error', () => {});
  }

  async #waitReady(ready) {
    const deadline = Date.now() + 20000;
    for (;;) {
      try {
        await ready(this.servers);
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the NATS cluster did not become ready: ${err.message}`);
        await sleep(200);
      }
    }
  }

  /** Kills node i with SIGKILL; resolves once it is gone. */
  async kill(i) {
    const { proc } = this.#nodes[i];
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
    this.#nodes[i].proc = null;
  }

  /** Starts node i again, on its ports and with its data. */
  restart(i) {
    this.#spawn(i);
  }

  async stop() {
    for (let i = 0; i < this.#nodes.length; i++) await this.kill(i);
    if (this.#dir !== null) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
  }
}
