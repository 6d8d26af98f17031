// The one static file server of the repo (browser tests, browser benchmark,
// demo): serves the repository over http://127.0.0.1, a secure context, as
// OPFS and Web Locks need. Local use only: it serves every file under root.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css',
  '.csv': 'text/csv', '.svg': 'image/svg+xml', '.png': 'image/png',
};
const REPO = fileURLToPath(new URL('../..', import.meta.url));

function resolve(root, pathname) {
  let file;
  try {
    file = path.join(root, decodeURIComponent(pathname));
  } catch {
    return null; // malformed %-escape
  }
  return file.startsWith(root) ? file : null;
}

/**
 * Starts serving `root` on 127.0.0.1:`port` (0: any free port); resolves to
 * { url, close(), override(path, reply) }. A directory is served as its
 * index.html. override('/a.js', { status, body }) answers requests for
 * exactly that path (query included) with `reply` instead of the file, to
 * inject faults such as a worker script that does not load;
 * override('/a.js', null) removes it.
 */
export async function serve(root = REPO, { port = 0 } = {}) {
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
    let file = resolve(root, url.pathname);
    if (file && fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      if (!url.pathname.endsWith('/')) {
        // Relative URLs in the page resolve against the directory.
        res.writeHead(301, { location: `${url.pathname}/${url.search}` });
        res.end();
        return;
      }
      file = path.join(file, 'index.html');
    }
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('cache-control', 'no-store');
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((ok) => server.close(ok)),
    override: (pathname, reply) => {
      if (reply) overrides.set(pathname, reply);
      else overrides.delete(pathname);
    },
  };
}
