// An application's own server, as a backend team would write one: it serves tests/browser/
// page.html and forwards the page's /v1/… requests to the IDP with the company's bearer token
// (the browser never holds the token). Same origin, so the IDP needs no CORS.
//
//   node tests/browser/app-server.mjs            (IDP_BASE_URL, IDP_PAGE_TOKEN; port 8080)
//
// The passkey tests import it (authenticator.mjs) and read every exchange it forwarded.
import http from 'node:http';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const PAGE = fs.readFileSync(new URL('./page.html', import.meta.url));
const MAX_BODY = 64 * 1024;

/** Serves the page and the forwarding on `port`; each forwarded exchange goes to `record`. */
export function serve(port, { api, token, record = () => {} }) {
  const server = http.createServer(async (req, res) => {
    try {
      if (req.method === 'GET' && (req.url === '/' || req.url === '/index.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PAGE);
        return;
      }
      if (!req.url.startsWith('/v1/')) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      const chunks = [];
      let size = 0;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > MAX_BODY) throw new Error('body too large');
        chunks.push(chunk);
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const response = await fetch(api + req.url, {
        method: req.method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body.length ? body : undefined,
      });
      const text = await response.text();
      record({ method: req.method, path: req.url, request: body, status: response.status, body: text });
      res.writeHead(response.status, { 'content-type': 'application/json' });
      res.end(text);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const api = process.env.IDP_BASE_URL || 'http://127.0.0.1:9000';
  const token = process.env.IDP_PAGE_TOKEN;
  if (!token) {
    console.error('app-server: set IDP_PAGE_TOKEN to a bearer token of the company (make token)');
    process.exit(2);
  }
  const port = Number(process.env.PORT || 8080);
  await serve(port, { api, token });
  console.log(`app-server: http://localhost:${port}/ forwards /v1/ to ${api}`);
}
