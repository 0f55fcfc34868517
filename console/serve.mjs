// The console's local server (`make dev` starts it on http://localhost:9001/): the built files
// of console/dist/ and, on the same origin, /v1/… forwarded to the API with the operator's own
// Authorization header, so the browser needs no CORS. In AWS, CloudFront does the same: the
// bucket for the files, the HTTP API for /v1/* (template.yaml, ConsoleDistribution).
//
//   node console/serve.mjs [port]        (IDP_BASE_URL: the API, default http://127.0.0.1:9000)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dist');
const API = process.env.IDP_BASE_URL || 'http://127.0.0.1:9000';
const PORT = Number(process.argv[2] || process.env.CONSOLE_PORT || 9001);
const MAX_BODY = 64 * 1024;
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
// What CloudFront's response headers policy sends too.
const HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

async function forward(req, res) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) { res.writeHead(413).end(); return; }
    chunks.push(chunk);
  }
  const headers = { 'content-type': 'application/json' };
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  const response = await fetch(API + req.url, {
    method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined,
  });
  const out = { 'content-type': response.headers.get('content-type') || 'application/json', ...HEADERS };
  const link = response.headers.get('link');
  if (link) out.link = link;
  res.writeHead(response.status, out);
  res.end(Buffer.from(await response.arrayBuffer()));
}

http.createServer(async (req, res) => {
  try {
    if (req.url.startsWith('/v1/')) return await forward(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, HEADERS).end(); return; }
    const name = req.url === '/' ? 'index.html' : req.url.slice(1).split('?')[0];
    if (!/^[a-z]+\.(html|js|css)$/.test(name)) { res.writeHead(404, HEADERS).end('not found'); return; }
    const file = path.join(DIST, name);
    if (!fs.existsSync(file)) { res.writeHead(404, HEADERS).end('not found: run make console'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)], ...HEADERS });
    res.end(fs.readFileSync(file));
  } catch (error) {
    res.writeHead(502, { 'content-type': 'application/json', ...HEADERS });
    res.end(JSON.stringify({ code: 502, resource: 'Console', message: 'Bad gateway', errors: 'The API could not be reached' }));
  }
}).listen(PORT, () => console.log(`console: http://localhost:${PORT}/ (API ${API})`));
