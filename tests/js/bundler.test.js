// A real bundler (Vite) builds an app that imports persistent-map: the
// .wasm must come out as an asset the built code finds through
// new URL(..., import.meta.url), with no configuration. The built bundle is
// then run (its .wasm read from the output directory) to prove it works.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a Vite build emits the .wasm as an asset and the bundle loads it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pmap-vite-'));
  try {
    fs.writeFileSync(path.join(dir, 'main.js'), `
      import { PersistentMap } from ${JSON.stringify(path.join(root, 'js', 'browser.js'))};
      export async function run() {
        const map = await PersistentMap.open('bundled', { backend: 'memory' });
        await map.setMany([['a', 1], ['b', { c: [2] }]]);
        const out = [...map];
        await map.close();
        return out;
      }
    `);
    await build({
      root: dir,
      logLevel: 'silent',
      configFile: false,
      base: './', // asset URLs relative to the bundle, so it also runs from disk
      build: {
        outDir: path.join(dir, 'dist'),
        target: 'esnext',
        minify: false,
        // An application build (library mode would inline every asset).
        rollupOptions: {
          input: path.join(dir, 'main.js'),
          preserveEntrySignatures: 'strict',
          output: { entryFileNames: 'app.mjs' },
        },
      },
    });
    const files = fs.readdirSync(path.join(dir, 'dist'), { recursive: true }).map(String);
    const wasm = files.find((f) => f.endsWith('.wasm'));
    expect(wasm).toBeDefined();
    // The sqlite backend (and sqlite-wasm) come only with 'persistent-map/sqlite'.
    expect(files.filter((f) => /sqlite/.test(f))).toEqual([]);
    expect(Buffer.compare(fs.readFileSync(path.join(dir, 'dist', wasm)),
      fs.readFileSync(path.join(root, 'js', 'wasm', 'pmap_core.wasm')))).toBe(0);
    const app = files.find((f) => /^app\.m?js$/.test(f));
    expect(fs.readFileSync(path.join(dir, 'dist', app), 'utf8')).toContain(path.basename(wasm));
    const { run } = await import(pathToFileURL(path.join(dir, 'dist', app)).href);
    expect(await run()).toEqual([['a', 1], ['b', { c: [2] }]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);
