// The browser half of the passkey tests (tests/tests/passkeys.rs): Debian's Chromium, headless,
// with the Chrome DevTools Protocol's virtual WebAuthn authenticator (CTAP2, internal
// transport, resident keys, user verification), opening page.html on the app servers of
// app-server.mjs (http://localhost:8080 and :8081). Nothing on the server side is mocked.
//
// It answers one JSON request a line on stdin with one JSON line on stdout:
//   {"op": "page", "origin": "http://localhost:8080", "fn": "enrol", "args": [...]}
//      → {"result": …what window.idp[fn](...args) returned…, "exchanges": [...]}
//   {"op": "credentials"}                      → {"result": [the authenticator's credentials]}
//   {"op": "sign_count", "count": N}           → the authenticator's credentials rewound to N
//   {"op": "quit"}
// "exchanges" are the requests the page's server forwarded to the IDP and their answers.
import readline from 'node:readline';
import { chromium } from 'playwright-core';
import { serve } from './app-server.mjs';

const api = process.env.IDP_BASE_URL;
const token = process.env.IDP_PAGE_TOKEN;
let exchanges = [];
const record = (exchange) => exchanges.push(exchange);
const servers = await Promise.all([8080, 8081].map((port) => serve(port, { api, token, record })));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext();
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('WebAuthn.enable');
const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
  options: {
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
    hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
  },
});

async function handle(request) {
  switch (request.op) {
    case 'page': {
      if (!page.url().startsWith(request.origin + '/')) {
        await page.goto(request.origin + '/');
      }
      exchanges = [];
      const result = await page.evaluate(
        ([fn, args]) => window.idp[fn](...args), [request.fn, request.args || []]);
      return { result, exchanges };
    }
    case 'credentials': {
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      return { result: credentials };
    }
    case 'sign_count': {
      // A cloned key: the same private key, its counter behind the one the IDP saw last.
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      for (const credential of credentials) {
        await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: credential.credentialId });
        await cdp.send('WebAuthn.addCredential', {
          authenticatorId, credential: { ...credential, signCount: request.count },
        });
      }
      return { result: credentials.length };
    }
    case 'quit':
      await browser.close();
      servers.forEach((server) => server.close());
      return { result: 'bye' };
    default:
      throw new Error(`unknown op ${request.op}`);
  }
}

console.log(JSON.stringify({ ready: true }));
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = await handle(JSON.parse(line));
  } catch (error) {
    answer = { error: String(error && error.stack || error), exchanges };
  }
  console.log(JSON.stringify(answer));
  if (answer.result === 'bye') break;
}
process.exit(0);
