// A static file server for the browser tests: serves the repository over
// http://127.0.0.1 (a secure context, as OPFS and Web Locks need).
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css',
};

/**
 * Starts serving `root`; resolves to { url, close(), override(path, reply) }.
 * override('/a.js', { status, body }) answers requests for exactly that path
 * (query included) with `reply` instead of the file, to inject faults such as
 * a worker script that does not load; override('/a.js', null) removes it.
 */
export async function serve(root = fileURLToPath(new URL('../..', import.meta.url))) {
  const overrides = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const reply = overrides.get(url.pathname + url.search);
    if (reply) {
      res.statusCode = reply.status ?? 200;
      res.setHeader('content-type', reply.type ?? TYPES[path.extname(url.pathname)] ?? 'application/octet-stream');
      res.setHeader('cache-control', 'no-store');
      res.end(reply.body ?? '');
      return;
    }
    const file = path.join(root, decodeURIComponent(url.pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('cache-control', 'no-store');
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
    override: (pathname, reply) => {
      if (reply) overrides.set(pathname, reply);
      else overrides.delete(pathname);
    },
  };
}
