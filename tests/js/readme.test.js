// Every code sample in README.md runs here, so the README cannot drift from
// the code. A fenced block's info string says how it runs:
//   js node     an ES module in Node ('persistent-map' resolves to this repo)
//   js commonjs a CommonJS script in Node (a .cjs file)
//   js browser  a module script in Chromium (an import map for 'persistent-map')
//   cpp         a program compiled with g++ against the native library, then run
//   sh cli      each line in bash, with `persistent-map` (the npm bin) and `persistent-map-native` on PATH
//   sh setup    install/set-up commands: checked to name this package and scripts that exist
//   text        not code; the CLI command list is checked against the CLI's help
// Any other block fails the test. The node, cli and cpp samples share one
// working directory, in README order (the CLI reads the file the Node sample wrote).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchProfile, newProfileDir } from '../browser/chromium.js';
import { serve } from '../browser/server.js';
import { makeTempDir, removeTempDir } from './helpers.js';
import { NatsCluster } from './nats_cluster.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m, i) => ({
  n: i + 1, kind: m[1].trim(), code: m[2], line: README.slice(0, m.index).split('\n').length,
}));
const KINDS = ['js node', 'js commonjs', 'js browser', 'cpp', 'sh cli', 'sh setup', 'text'];

let work;
let bin;
// The NATS sample's server: one nats-server node, its URL in NATS_URL.
const nats = new NatsCluster();
let natsUrl;
beforeAll(async () => {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  await nats.start(async (servers) => {
    const nc = await connect({ servers, timeout: 1000 });
    try {
      await (await jetstreamManager(nc)).getAccountInfo();
    } finally {
      await nc.close();
    }
  }, 1);
  natsUrl = nats.servers;
});
afterAll(() => nats.stop());
beforeAll(() => {
  work = makeTempDir('pmap-readme-');
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(work, 'node_modules', 'persistent-map'));
  // The "Web apps" samples import the libraries they show (devDependencies).
  for (const name of ['react', 'react-dom', 'zustand', 'redux', 'redux-persist', '@tanstack']) {
    fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(work, 'node_modules', name));
  }
  fs.writeFileSync(path.join(work, 'package.json'), '{"type":"module"}');
  bin = path.join(work, '.bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'persistent-map'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, 'js/cli/main.js')}" "$@"\n`, { mode: 0o755 });
  fs.symlinkSync(path.join(ROOT, 'build', 'persistent-map-native'), path.join(bin, 'persistent-map-native'));
});
afterAll(() => removeTempDir(work));

const label = (b) => `README block ${b.n} (line ${b.line}, ${b.kind || 'no info string'})`;

test('every code block says how it is run', () => {
  expect(BLOCKS.length).toBeGreaterThan(5);
  for (const b of BLOCKS) expect([label(b), KINDS.includes(b.kind)]).toEqual([label(b), true]);
});

test('the API table names every member of PersistentMap in the type declarations', () => {
  const types = fs.readFileSync(path.join(ROOT, 'js', 'index.d.ts'), 'utf8');
  const body = types.slice(types.search(/export class PersistentMap[<\s]/));
  const cls = body.slice(0, body.indexOf('\n}\n'));
  const members = new Set([...cls.matchAll(/^ {2}(?:static |readonly )?(\w+)[(<:?]/gm)].map((m) => m[1]));
  members.delete('constructor');
  expect(members.size).toBeGreaterThan(20);
  for (const m of members) expect([m, README.includes(`\`${m}(`) || README.includes(`\`${m}\``) || README.includes(`.${m}(`)]).toEqual([m, true]);
});

describe('samples, in README order', () => {
  for (const b of BLOCKS.filter((x) => x.kind !== 'js browser')) {
    test(label(b), () => {
      if (b.kind === 'js node' || b.kind === 'js commonjs') {
        const file = path.join(work, `sample-${b.n}.${b.kind === 'js node' ? 'mjs' : 'cjs'}`);
        fs.writeFileSync(file, b.code);
        const r = spawnSync(process.execPath, [file], { cwd: work, encoding: 'utf8', timeout: 60000, env: { ...process.env, NATS_URL: natsUrl } });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
        expect(r.stdout).not.toBe('');
      } else if (b.kind === 'sh cli') {
        for (const line of b.code.split('\n').filter((l) => l.trim() && !l.startsWith('#'))) {
          const r = spawnSync('bash', ['-c', line], { cwd: work, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
          expect({ line, status: r.status, stderr: r.stderr }).toEqual({ line, status: 0, stderr: '' });
        }
      } else if (b.kind === 'cpp') {
        const src = path.join(work, `sample-${b.n}.cc`);
        const exe = path.join(work, `sample-${b.n}`);
        fs.writeFileSync(src, b.code);
        execFileSync('g++', ['-std=c++17', '-O1', `-I${path.join(ROOT, 'src')}`, src, '-o', exe,
          path.join(ROOT, 'build', 'libpmap_native.a'), path.join(ROOT, 'build', 'libpmap_core.a'), '-lpthread'], { stdio: 'pipe' });
        const r = spawnSync(exe, [], { cwd: work, encoding: 'utf8' });
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
        expect(r.stdout).not.toBe('');
      } else if (b.kind === 'sh setup') {
        for (const line of b.code.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)) {
          const script = /^bash (scripts\/[\w.-]+\.sh)$/.exec(line);
          if (script) expect(fs.existsSync(path.join(ROOT, script[1]))).toBe(true);
          else expect(line).toBe(`npm install ${JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name}`);
        }
      } else {
        // text: the CLI's command list.
        const help = execFileSync(process.execPath, [path.join(ROOT, 'js/cli/main.js'), '--help'], { encoding: 'utf8' });
        for (const line of b.code.split('\n').filter(Boolean)) {
          const usage = line.split(/\s{2,}/)[0];
          expect([line, help.includes(`  ${usage}`)]).toEqual([line, true]);
        }
      }
    }, 120_000);
  }
});

test('the browser samples run in Chromium', async () => {
  const samples = BLOCKS.filter((b) => b.kind === 'js browser');
  expect(samples.length).toBeGreaterThan(0);
  const server = await serve(ROOT);
  const profile = newProfileDir();
  const context = await launchProfile(profile);
  try {
    for (const b of samples) {
      const page = await context.newPage();
      const logs = [];
      page.on('console', (m) => logs.push(m.text()));
      const url = `${server.url}/readme-sample-${b.n}.html`;
      await page.route(url, (route) => route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><script type="importmap">{"imports":{"persistent-map":"/js/browser.js"}}</script>
<script>addEventListener('error', (e) => { window.__error = String(e.error ?? e.message); });</script>
<script type="module">\n${b.code}\nwindow.__done = true;\n</script>`,
      }));
      await page.goto(url);
      await page.waitForFunction(() => window.__done || window.__error, null, { timeout: 30000 });
      expect([label(b), await page.evaluate(() => window.__error ?? null)]).toEqual([label(b), null]);
      expect(logs.length).toBeGreaterThan(0);
      await page.close();
    }
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}, 120_000);
