// A request handler serving the files of one folder, for the playground server and the e2e
// tests: the known types below, `no-store`, and a 404 for anything else (e.g. a raw .ts).
import { readFile } from 'node:fs/promises';
import { extname, relative, resolve, sep } from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** @param {string} dir @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void} */
export function staticFiles(dir) {
  const base = resolve(dir);
  return (req, res) => {
    void (async () => {
      let path;
      try {
        path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request');
        return;
      }
      if (path.endsWith('/')) path += 'index.html';
      const file = resolve(base, `.${path}`);
      const type = MIME[extname(file)];
      if (type && file.startsWith(base + sep)) {
        try {
          const body = await readFile(file);
          res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
          res.end(body);
          return;
        } catch {
          // fall through to 404
        }
      }
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`not found: ${relative(base, file)}`);
    })();
  };
}
