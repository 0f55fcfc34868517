// A real token issuer for the JWT tests: panva's oidc-provider (a certified OpenID Connect
// implementation) issuing RFC 9068 JWT access tokens by the client-credentials grant, with a
// JWKS of RSA, P-256, P-384 and Ed25519 signing keys and an RSA encryption key.
//
//   node issuer.mjs PORT
//
// PORT      the issuer: http://127.0.0.1:PORT (token endpoint /token, JWKS /jwks)
// PORT + 1  control, for the tests: rotate keys, take the issuer down and up, sign a token
//           with one of the issuer's own keys the way a misbehaving signer would
// PORT + 2  a twin issuer: another `iss`, the same keys
// PORT + 3  a rogue issuer: the same `iss`, keys of its own (one with a colliding kid)
//
// Every client's secret is `secret`; each client pins the algorithm and key its tokens are
// signed with, and the company claim they carry (`companyClaim` below).
import http from 'node:http';
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

const port = Number(process.argv[2] ?? 9300);
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const api = 'https://idp.test/api';
const otherApi = 'https://other.test/api';
const companyClaim = 'https://idp.test/company_uid';

const keyKinds = {
  rsa: ['RS256', { modulusLength: 2048 }],
  p256: ['ES256', {}],
  p384: ['ES384', {}],
  ed25519: ['Ed25519', {}],
  enc: ['RSA-OAEP-256', { modulusLength: 2048 }],
};

async function makeKey(kid, kind, extra = {}) {
  const [alg, options] = keyKinds[kind];
  const { privateKey } = await jose.generateKeyPair(alg, { ...options, extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid, use: kind === 'enc' ? 'enc' : 'sig', ...extra };
}

// name: [alg, kid, claims]. Offsets are seconds from the token's iat.
const clients = {
  rs256: ['RS256', 'rsa-a'],
  rs384: ['RS384', 'rsa-a'],
  rs512: ['RS512', 'rsa-a'],
  ps256: ['PS256', 'rsa-a'],
  'ps256-pinned': ['PS256', 'rsa-pinned'],
  es256: ['ES256', 'p256-a'],
  es384: ['ES384', 'p384-a'],
  eddsa: ['EdDSA', 'ed-a'],
  ed25519: ['Ed25519', 'ed-a'],
  rotated: ['RS256', 'rsa-b'],
  'other-company': ['ES256', 'p256-a', { company: 'someone-else' }],
  'no-company': ['ES256', 'p256-a', { company: null }],
  'nbf-future': ['ES256', 'p256-a', { nbf: 3600 }],
  'nbf-near': ['ES256', 'p256-a', { nbf: 10 }],
  expired: ['ES256', 'p256-a', { exp: -120 }],
  'expired-near': ['ES256', 'p256-a', { exp: -10 }],
  rogue: ['ES256', 'rogue-p256'],
  'rogue-collision': ['RS256', 'rsa-a'],
};

function configuration(issuerKeys) {
  return {
    clients: Object.keys(clients).map((client_id) => ({
      client_id,
      client_secret: 'secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: issuerKeys },
    features: {
      devInteractions: { enabled: false },
      // Lets the issuer hold its encryption key, published in the JWKS beside the signing keys.
      encryption: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => api,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => {
          if (resource !== api && resource !== otherApi) throw new errors.InvalidTarget();
          const [alg, kid] = clients[client.clientId];
          return {
            scope: 'profiles:read profiles:write',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 600,
            jwt: { sign: { alg, kid } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // The tenant in a namespaced claim, as Auth0 and Keycloak mappers put it; a plain
        // `company_uid` beside it names another company, so a verifier that reads the wrong
        // claim is caught.
        jwt(ctx, token, jwt) {
          const [, , options = {}] = clients[token.clientId];
          const { payload } = jwt;
          const company = 'company' in options ? options.company : '-1';
          if (company !== null) payload[companyClaim] = company;
          payload.company_uid = 'decoy-company';
          if (options.nbf !== undefined) payload.nbf = payload.iat + options.nbf;
          if (options.exp !== undefined) payload.exp = payload.iat + options.exp;
        },
      },
    },
  };
}

function provider(iss, issuerKeys) {
  const instance = new Provider(iss, configuration(issuerKeys));
  instance.on('server_error', (ctx, error) => console.error('issuer error', error));
  return { callback: instance.callback(), keys: issuerKeys };
}

let keys = [
  await makeKey('rsa-a', 'rsa'),
  await makeKey('rsa-pinned', 'rsa', { alg: 'PS256' }),
  await makeKey('p256-a', 'p256'),
  await makeKey('p384-a', 'p384'),
  await makeKey('ed-a', 'ed25519'),
  await makeKey('enc-a', 'enc', { alg: 'RSA-OAEP-256' }),
];
const rogueKeys = [await makeKey('rogue-p256', 'p256'), await makeKey('rsa-a', 'rsa')];

let main = provider(issuer, keys);
const twin = provider(`http://${host}:${port + 2}`, keys);
const rogue = provider(issuer, rogueKeys);

const mainServer = http.createServer((req, res) => main.callback(req, res));
let listening = false;
function up() {
  return new Promise((resolve) => {
    if (listening) return resolve();
    mainServer.listen(port, host, () => { listening = true; resolve(); });
  });
}
function down() {
  return new Promise((resolve) => {
    if (!listening) return resolve();
    mainServer.close(() => { listening = false; resolve(); });
    mainServer.closeAllConnections();
  });
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
}

function findKey(kid, set) {
  const jwk = (set === 'rogue' ? rogueKeys : keys).find((k) => k.kid === kid);
  if (!jwk) throw new Error(`no key ${kid}`);
  return jwk;
}

const control = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://${host}`);
  const reply = (status, value) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  try {
    if (req.method === 'POST' && url.pathname === '/rotate') {
      // ?add=KID (an RSA key) and/or ?drop=KID: the issuer starts over with the new set.
      const add = url.searchParams.get('add');
      const drop = url.searchParams.get('drop');
      if (add) keys = [...keys.filter((k) => k.kid !== add), await makeKey(add, 'rsa')];
      if (drop) keys = keys.filter((k) => k.kid !== drop);
      main = provider(issuer, keys);
      return reply(200, { kids: keys.map((k) => k.kid) });
    }
    if (req.method === 'POST' && url.pathname === '/down') { await down(); return reply(200, {}); }
    if (req.method === 'POST' && url.pathname === '/up') { await up(); return reply(200, {}); }
    if (req.method === 'POST' && url.pathname === '/sign') {
      // {kid, set?, header, payload, sign_alg?}: the header exactly as given, signed with that
      // key by `sign_alg` (default: the header's alg), whatever the key's own `alg` says.
      const { kid, set, header, payload, sign_alg: signAlg = header.alg } = await body(req);
      const { alg: _alg, use: _use, key_ops: _ops, ...jwk } = findKey(kid, set);
      const key = await jose.importJWK(jwk, signAlg);
      const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
      return reply(200, { token: `${input}.${await signRaw(input, key, signAlg)}` });
    }
    if (req.method === 'GET' && url.pathname === '/public-pem') {
      // The SPKI PEM and public JWK of a key, for the key-confusion forgeries.
      const { d, p, q, dp, dq, qi, ...jwk } = findKey(url.searchParams.get('kid'), url.searchParams.get('set'));
      const { alg: _alg, use: _use, ...bare } = jwk;
      const key = await jose.importJWK(bare, jwk.kty === 'RSA' ? 'RS256' : jwk.crv === 'P-256' ? 'ES256' : jwk.crv === 'P-384' ? 'ES384' : 'Ed25519', { extractable: true });
      return reply(200, { pem: await jose.exportSPKI(key), jwk });
    }
    return reply(404, { error: 'not found' });
  } catch (error) {
    return reply(500, { error: String(error) });
  }
});

const b64 = (text) => jose.base64url.encode(new TextEncoder().encode(text));

// The signature over exactly `input` (jose's keys are WebCrypto CryptoKeys), so a test
// chooses every byte of the header.
async function signRaw(input, key, alg) {
  const params = {
    RS256: { name: 'RSASSA-PKCS1-v1_5' },
    PS256: { name: 'RSA-PSS', saltLength: 32 },
    ES256: { name: 'ECDSA', hash: 'SHA-256' },
    ES384: { name: 'ECDSA', hash: 'SHA-384' },
    Ed25519: { name: 'Ed25519' },
    EdDSA: { name: 'Ed25519' },
  }[alg];
  if (!params) throw new Error(`cannot sign ${alg}`);
  const signature = await globalThis.crypto.subtle.sign(params, key, new TextEncoder().encode(input));
  return jose.base64url.encode(new Uint8Array(signature));
}

await up();
http.createServer((req, res) => twin.callback(req, res)).listen(port + 2, host);
http.createServer((req, res) => rogue.callback(req, res)).listen(port + 3, host);
control.listen(port + 1, host, () => console.log(`issuer ${issuer} ready`));
