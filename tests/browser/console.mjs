// The operators' console in a real browser (tests/tests/console.rs runs it): Debian's Chromium,
// headless, through playwright-core, on the console served by console/serve.mjs. It signs in
// (a wrong token first), finds the profile by e-mail, opens it, deactivates and reactivates it
// (checking the API agrees each time), resets its second factor, erases it (the API then
// answers 404), reads the events of each step, and cannot reach another company's profile.
// axe-core checks every screen at 390 and 1440 px wide; with SCREENSHOTS=dir, each is saved.
//
// Environment: CONSOLE_URL, IDP_TOKEN, COMPANY, PROFILE (uuid), EMAIL, FOREIGN (another
// company's profile uuid).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
// Evaluated through the DevTools Protocol, which the console's Content-Security-Policy (its
// own scripts only) does not govern: a script tag would be refused, as it should be.
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const { CONSOLE_URL, IDP_TOKEN, COMPANY, PROFILE, EMAIL, FOREIGN, SCREENSHOTS } = process.env;
const WIDTHS = [390, 1440];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
const page = await context.newPage();
const problems = [];
page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));

/** What the API says, asked the way the console asks it (same origin, the operator's token). */
async function api(method, path) {
  return page.evaluate(async ([method, path, token]) => {
    const response = await fetch(path, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json() };
  }, [method, path, IDP_TOKEN]);
}

const status = () => page.locator('#status');
async function settled() {
  await page.waitForFunction(() => !document.body.hasAttribute('aria-busy'));
}

/** axe-core on the screen as it is, at both widths; serious or critical findings fail. */
async function check(name) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.evaluate(AXE);
    const result = await page.evaluate(() =>
      window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), [], `${name} at ${width}px`);
    // Nothing wider than the screen but the tables' own scrolling.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name} at ${width}px overflows by ${overflow}px`);
    if (SCREENSHOTS) {
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: `${SCREENSHOTS}/${name}-${width}.png`, fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  console.log(`checked: ${name}`);
}

await page.goto(CONSOLE_URL);
await check('sign-in');

// A wrong token: the 401's sentence, and still signed out.
await page.getByLabel('Company id').fill(COMPANY);
await page.getByLabel('Access token').fill('not-a-token');
await page.getByRole('button', { name: 'Sign in' }).click();
await settled();
await assert.match(await status().textContent(), /Invalid or expired token \(401\)/);
assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in');

// Signed in, by keyboard alone: the token field, then Enter on the button.
await page.getByLabel('Access token').fill(IDP_TOKEN);
await page.getByRole('button', { name: 'Sign in' }).focus();
await page.keyboard.press('Enter');
await settled();
await page.getByRole('heading', { name: 'Profiles' }).waitFor();
assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
assert.equal((await context.cookies()).length, 0);

// Find by e-mail (as typed by a person: case and spaces), open the profile.
await page.getByLabel('Field').selectOption('email');
await page.getByLabel(/^Value/).fill(`  ${EMAIL.toUpperCase()} `);
await page.getByRole('button', { name: 'Search' }).click();
await settled();
await page.getByRole('button', { name: PROFILE }).waitFor();
await check('search');
await page.getByRole('button', { name: PROFILE }).click();
await settled();
await page.getByText('Status: Active').waitFor();
await page.getByText(/^totp/).waitFor();
await check('profile');

// Deactivate: the console says so, and so does the API; then reactivate.
await page.getByRole('button', { name: 'Deactivate' }).click();
await settled();
await page.getByText('Status: Inactive').waitFor();
let shown = await api('GET', `/v1/companies/${COMPANY}/profiles/${PROFILE}?disabled_profile=true`);
assert.equal(shown.body.data.active, false);
await page.getByRole('button', { name: 'Activate' }).click();
await settled();
await page.getByText('Status: Active').waitFor();
shown = await api('GET', `/v1/companies/${COMPANY}/profiles/${PROFILE}`);
assert.equal(shown.body.data.active, true);

// Reset the second factors, through a confirming dialog (Escape cancels it first).
await page.getByRole('button', { name: 'Reset second factors' }).click();
await page.getByRole('dialog').waitFor();
await check('reset-dialog');
await page.keyboard.press('Escape');
assert.equal(await page.getByRole('dialog').count(), 0);
await page.getByRole('button', { name: 'Reset second factors' }).click();
await page.getByRole('dialog').getByRole('button', { name: 'Reset' }).click();
await settled();
await page.getByText('None enrolled.').waitFor();
shown = await api('GET', `/v1/companies/${COMPANY}/profiles/${PROFILE}`);
assert.deepEqual(shown.body.data.two_factor_authentication, []);

// The events of each step, in the profile's trail.
const trail = await page.locator('table').last().textContent();
for (const kind of ['profile.deactivated', 'profile.activated', 'two_factor.removed']) {
  assert.ok(trail.includes(kind), `${kind} in ${trail}`);
}
assert.ok(trail.includes('reset'));

// Erase: the button waits for the uuid typed in full.
await page.getByRole('button', { name: 'Erase profile' }).click();
const erase = page.getByRole('dialog').getByRole('button', { name: 'Erase' });
assert.equal(await erase.isDisabled(), true);
await page.getByLabel(/Type the profile id/).fill(PROFILE.slice(0, 20));
assert.equal(await erase.isDisabled(), true);
await page.getByLabel(/Type the profile id/).fill(PROFILE);
await erase.click();
await settled();
await page.getByRole('heading', { name: 'Profiles' }).waitFor();
shown = await api('GET', `/v1/companies/${COMPANY}/profiles/${PROFILE}?disabled_profile=true`);
assert.equal(shown.status, 404);
const events = await api('GET', `/v1/companies/${COMPANY}/profiles/${PROFILE}/events?limit=50`);
assert.ok(events.body.data.some((e) => e.type === 'profile.deleted'), JSON.stringify(events.body));

// Another company's profile: this token cannot reach it, through the console or around it.
const foreign = await api('GET', `/v1/companies/${COMPANY}/profiles/${FOREIGN}?disabled_profile=true`);
assert.equal(foreign.status, 404);

// The company's configuration and register types.
await page.getByRole('button', { name: 'Company' }).click();
await settled();
await page.getByRole('heading', { name: `Company ${COMPANY}` }).waitFor();
assert.match(await page.getByLabel('Register types').textContent(), /nin_register/);
await check('company');

// Signing out forgets the token.
await page.getByRole('button', { name: 'Sign out' }).click();
await page.getByRole('heading', { name: 'Sign in' }).waitFor();
assert.equal(await page.getByLabel('Access token').inputValue(), '');

assert.deepEqual(problems, []);
await browser.close();
console.log('console: every step passed');
