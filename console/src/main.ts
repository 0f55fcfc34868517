// The operators' console (API.md §5.17): sign in with an access token, find profiles, open
// one, change its status, reset its second factors, erase it, read the company's
// configuration. Everything goes through the public API with the operator's token, which
// lives in this module's memory only (never storage or a cookie): closing or reloading the tab
// signs out.

import { Api, ApiError } from './api';

type Child = Node | string | null | undefined | false;

/** An element with attributes (`on…` are listeners) and children. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value as EventListener);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

const FIELDS = [
  'email', 'username', 'nin', 'phone_number', 'name', 'lastname', 'origin', 'birthday',
  'nationality', 'timezone', 'identification_provider',
] as const;
const LABELS: Record<string, string> = {
  email: 'E-mail', username: 'Username', nin: 'National id', phone_number: 'Phone number',
  name: 'Name', lastname: 'Last name', origin: 'Origin', birthday: 'Birthday',
  nationality: 'Nationality', timezone: 'Time zone',
  identification_provider: 'Identification provider',
};
const PAGE_SIZE = 20;

interface Profile {
  uuid: string;
  active: boolean;
  two_factor_authentication?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

interface AuditEvent {
  id: string;
  at: string;
  type: string;
  outcome: string;
  reason: string | null;
  changed_fields: string[];
  actor: { client: string | null; source_ip: string | null };
}

let api: Api | null = null;

const main = () => document.getElementById('main') as HTMLElement;
const status = () => document.getElementById('status') as HTMLElement;

/** Says something in the live region (progress, results, errors). */
function say(text: string, kind: 'info' | 'error' = 'info'): void {
  const region = status();
  region.textContent = text;
  region.className = kind === 'error' ? 'status error' : 'status';
}

/** Runs `work` with progress shown, and the API's sentence on failure. */
async function busy<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
  say(`${what}…`);
  document.body.setAttribute('aria-busy', 'true');
  try {
    const result = await work();
    say('');
    return result;
  } catch (error) {
    const sentence = error instanceof ApiError ? `${error.sentence} (${error.status})` : String(error);
    say(sentence, 'error');
    // A token that expired while signed in: back to the sign-in screen, the sentence kept.
    if (error instanceof ApiError && error.status === 401 && api) signOut(sentence);
    return undefined;
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

/** Replaces the page's content with a view whose heading takes the focus. */
function show(title: string, ...content: Child[]): void {
  const heading = h('h1', { tabindex: '-1' }, title);
  main().replaceChildren(heading, ...content.filter((c): c is Node | string => !!c));
  document.title = `${title} · IDP console`;
  heading.focus();
}

function renderNav(): void {
  const nav = document.getElementById('nav') as HTMLElement;
  if (!api) {
    nav.replaceChildren();
    return;
  }
  nav.replaceChildren(
    h('span', { class: 'who' }, `Company ${api.company}`),
    h('button', { type: 'button', onclick: () => searchView() }, 'Profiles'),
    h('button', { type: 'button', onclick: () => void companyView() }, 'Company'),
    h('button', { type: 'button', onclick: () => signOut('Signed out.') }, 'Sign out'),
  );
}

function signOut(message: string): void {
  api = null;
  renderNav();
  signInView();
  say(message, message === 'Signed out.' ? 'info' : 'error');
}

function signInView(): void {
  const company = h('input', { id: 'company', name: 'company', required: true, autocomplete: 'off', value: '-1' });
  const token = h('textarea', { id: 'token', name: 'token', required: true, rows: '4', autocomplete: 'off', spellcheck: 'false' });
  const form = h(
    'form',
    {
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const candidate = new Api(company.value.trim(), token.value.trim());
        const checked = await busy('Checking the token', () => candidate.call('GET', ''));
        if (!checked) return;
        api = candidate;
        token.value = '';
        renderNav();
        searchView();
        say(`Signed in to company ${candidate.company}.`);
      },
    },
    h('label', { for: 'company' }, 'Company id'),
    company,
    h('label', { for: 'token' }, 'Access token'),
    token,
    h('p', { class: 'hint', id: 'token-hint' },
      'Paste a bearer token of the company. Locally: ', h('code', {}, 'make token COMPANY=-1'),
      ' prints one. It is kept in this tab\'s memory only: reloading or closing the tab signs out.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  token.setAttribute('aria-describedby', 'token-hint');
  show('Sign in', form);
}

function searchView(initial?: { field: string; value: string; inactive: boolean }): void {
  if (!api) return signInView();
  const field = h('select', { id: 'filter-field', name: 'field' },
    ...FIELDS.map((f) => h('option', { value: f, selected: initial?.field === f }, LABELS[f])));
  const value = h('input', { id: 'filter-value', name: 'value', value: initial?.value ?? '', autocomplete: 'off' });
  const inactive = h('input', { id: 'filter-inactive', type: 'checkbox', checked: initial?.inactive ?? true });
  const results = h('section', { 'aria-labelledby': 'results-heading' });
  const run = async (cursor: string | null) => {
    const body: Record<string, string> = {};
    if (value.value.trim()) body[field.value] = value.value.trim();
    const query = new URLSearchParams({ per_page: String(PAGE_SIZE) });
    if (cursor) query.set('cursor', cursor);
    if (inactive.checked) query.set('disabled_profile', 'true');
    const answer = await busy('Searching', () => api!.call('POST', `/profiles/query?${query}`, body));
    if (!answer) return;
    const profiles = (answer.body.data as Profile[]) ?? [];
    const next = answer.nextCursor;
    const parts: Child[] = [
      h('h2', { id: 'results-heading' }, profiles.length ? `Profiles (${profiles.length}${next ? '+' : ''})` : 'No profile matches'),
      profiles.length ? profileTable(profiles) : null,
      next ? h('button', { type: 'button', onclick: () => void run(next) }, 'Next page') : null,
    ];
    results.replaceChildren(...parts.filter((c): c is Node | string => !!c));
    say(profiles.length ? `${profiles.length} profiles on this page.` : 'No profile matches.');
  };
  const form = h(
    'form',
    { role: 'search', onsubmit: (e: Event) => { e.preventDefault(); void run(null); } },
    h('div', { class: 'row' },
      h('div', {}, h('label', { for: 'filter-field' }, 'Field'), field),
      h('div', { class: 'grow' }, h('label', { for: 'filter-value' }, 'Value (exact; empty: every profile)'), value)),
    h('div', { class: 'check' }, inactive, h('label', { for: 'filter-inactive' }, 'Include inactive profiles')),
    h('button', { type: 'submit' }, 'Search'),
  );
  show('Profiles', form, results);
}

function profileTable(profiles: Profile[]): HTMLElement {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Profiles found' }, h('table', {},
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Profile'), h('th', { scope: 'col' }, 'E-mail'),
      h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Status'))),
    h('tbody', {}, ...profiles.map((p) => h('tr', {},
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => void profileView(p.uuid) }, p.uuid)),
      h('td', {}, String(p.email ?? '—')),
      h('td', {}, [p.name, p.lastname].filter(Boolean).join(' ') || '—'),
      h('td', {}, p.active ? 'Active' : 'Inactive')))),
  ));
}

async function profileView(uuid: string): Promise<void> {
  if (!api) return signInView();
  const loaded = await busy('Opening the profile', async () => {
    const profile = await api!.call('GET', `/profiles/${encodeURIComponent(uuid)}?disabled_profile=true`);
    const events = await api!.call('GET', `/profiles/${encodeURIComponent(uuid)}/events?limit=20`);
    return { profile: profile.body.data as Profile, events: (events.body.data as AuditEvent[]) ?? [] };
  });
  if (!loaded) return;
  const { profile, events } = loaded;
  const factors = profile.two_factor_authentication ?? [];
  const fields = h('dl', { class: 'fields' },
    ...['uuid', ...FIELDS].flatMap((f) => [
      h('dt', {}, f === 'uuid' ? 'Profile id' : LABELS[f]),
      h('dd', {}, String(profile[f] ?? '—')),
    ]));
  const statusText = profile.active ? 'Active' : 'Inactive';
  const actions = h('div', { class: 'actions' },
    h('button', {
      type: 'button',
      onclick: async () => {
        const operation = profile.active ? 'deactivate' : 'activate';
        const done = await busy(`${operation === 'activate' ? 'Activating' : 'Deactivating'}`,
          () => api!.call('PATCH', `/profiles/${encodeURIComponent(uuid)}/status`, { operation }));
        if (done) { await profileView(uuid); say(`Profile ${operation}d.`); }
      },
    }, profile.active ? 'Deactivate' : 'Activate'),
    factors.length
      ? h('button', { type: 'button', onclick: () => resetDialog(uuid) }, 'Reset second factors')
      : null,
    h('button', { type: 'button', class: 'danger', onclick: () => eraseDialog(uuid) }, 'Erase profile'),
  );
  show(`Profile ${String(profile.email ?? profile.username ?? uuid)}`,
    h('p', {}, h('strong', {}, 'Status: '), statusText),
    actions,
    h('h2', {}, 'Fields'), fields,
    h('h2', {}, 'Second factors'),
    factors.length
      ? h('ul', {}, ...factors.map((f) => h('li', {}, factorText(f))))
      : h('p', {}, 'None enrolled.'),
    h('h2', {}, 'Recent events'),
    events.length ? eventTable(events) : h('p', {}, 'No events.'),
  );
}

function factorText(factor: Record<string, unknown>): string {
  const parts = [String(factor.method)];
  if (factor.name) parts.push(`“${String(factor.name)}”`);
  if (factor.created_at) parts.push(`since ${String(factor.created_at)}`);
  if (typeof factor.remaining === 'number') parts.push(`${factor.remaining} left`);
  if (factor.backed_up === true) parts.push('synced');
  return parts.join(', ');
}

function eventTable(events: AuditEvent[]): HTMLElement {
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': 'Recent events' }, h('table', {},
    h('thead', {}, h('tr', {},
      ...['When', 'Event', 'Outcome', 'Reason', 'Client'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...events.map((e) => h('tr', {},
      h('td', {}, e.at), h('td', {}, e.type), h('td', {}, e.outcome),
      h('td', {}, e.reason ?? (e.changed_fields.length ? e.changed_fields.join(', ') : '—')),
      h('td', {}, e.actor.client ?? '—')))),
  ));
}

/** A modal dialog (focus kept inside, Esc closes) with a confirming action. */
function confirmDialog(title: string, body: Child[], confirm: string, act: () => Promise<void>, ready?: () => boolean, watch?: HTMLInputElement): void {
  const button = h('button', { type: 'button', class: 'danger', disabled: ready ? !ready() : false }, confirm);
  const dialog = h('dialog', { 'aria-labelledby': 'dialog-title' },
    h('h2', { id: 'dialog-title' }, title),
    ...body,
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      button));
  watch?.addEventListener('input', () => { button.disabled = ready ? !ready() : false; });
  button.addEventListener('click', async () => {
    dialog.close();
    await act();
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function resetDialog(uuid: string): void {
  confirmDialog('Reset second factors?', [
    h('p', {}, 'Every second factor of this profile and its recovery codes are removed. The person logs in with the password alone until they enrol again. The audit trail records it as two_factor.removed with reason reset, under your client.'),
  ], 'Reset', async () => {
    const done = await busy('Resetting the second factors', () =>
      api!.call('PATCH', `/profiles/${encodeURIComponent(uuid)}`, { operation: 'two_factor', two_factor: { action: 'reset' } }));
    if (done) { await profileView(uuid); say('Second factors reset.'); }
  });
}

function eraseDialog(uuid: string): void {
  const typed = h('input', { id: 'erase-confirm', autocomplete: 'off', spellcheck: 'false' });
  confirmDialog('Erase this profile?', [
    h('p', {}, 'The profile, its credentials and second factors are deleted and its identifiers freed. This cannot be undone. Its audit trail is kept.'),
    h('label', { for: 'erase-confirm' }, `Type the profile id (${uuid}) to confirm`),
    typed,
  ], 'Erase', async () => {
    const done = await busy('Erasing the profile', () => api!.call('DELETE', `/profiles/${encodeURIComponent(uuid)}`));
    if (done) { searchView(); say(`Profile ${uuid} erased.`); }
  }, () => typed.value.trim() === uuid, typed);
}

async function companyView(): Promise<void> {
  if (!api) return signInView();
  const loaded = await busy('Reading the company', async () => {
    const config = await api!.call('GET', '');
    const types = await api!.call('GET', '/register_types');
    return { config: config.body.data, types: types.body.data };
  });
  if (!loaded) return;
  show(`Company ${api.company}`,
    h('h2', {}, 'Register types'),
    h('pre', { tabindex: '0', 'aria-label': 'Register types' }, JSON.stringify(loaded.types, null, 2)),
    h('h2', {}, 'Configuration'),
    h('pre', { tabindex: '0', 'aria-label': 'Company configuration' }, JSON.stringify(loaded.config, null, 2)));
}

signInView();
