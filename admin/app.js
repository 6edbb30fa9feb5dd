// The admin page's script, served as GET /admin/app.js (bundled into the admin-page function by
// scripts/build-admin.ts). The page carries no data: it asks for the operator token, keeps it in
// this tab's sessionStorage, and calls the operator API with `Authorization: Bearer`. Everything
// the API answers is put in the page as text (never as HTML); every API error is shown.

/** The error workflow of shared/error-log/domain/status.ts: the moves offered; the API still judges them. */
const NEXT_STATUSES = {"open":["resolved","needs_attention"],"needs_attention":["in_progress"],"in_progress":["resolved"],"resolved":[]};
/** REASSOCIATION_REASONS of shared/reassociation/domain.ts. */
const REASONS = ["reseller_provisioning","trial_conversion","broken_association","other"];
/** CORRECTION_REASONS of shared/lifecycle/domain/types.ts. */
const CORRECTION_REASONS = ["wrong_measurement","migration","other"];
/** Jobs an operator may run now (shared/jobs/names.ts; an unknown one is answered 404 with the known ones). */
const JOBS = ["reconciliation-audit","daily-digest","weekly-digest"];

const TOKEN_KEY = 'provisioning.operatorToken';
const ERROR_PAGE = 25;

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const alertBox = document.getElementById('alert');
const noticeBox = document.getElementById('notice');

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only, never innerHTML.

function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value') el.value = String(value);
    else if (key === 'checked') el.checked = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs ?? {})) el.setAttribute(key, String(value));
  return append(el, children);
}

/** A link for an http(s) URL; anything else is shown as text. */
function externalLink(url) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:' || parsed.protocol === 'http:') return h('a', { href: parsed.href, rel: 'noopener noreferrer', target: '_blank' }, url);
  } catch {
    // not a URL
  }
  return url;
}

const show = (value) => (value === null || value === undefined || value === '' ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value));
const when = (iso) => (iso ? String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '—');

function definitionList(entries) {
  return h('dl', { class: 'fields' }, entries.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value instanceof Node ? value : show(value))]));
}

function table(headers, rows, options = {}) {
  return h(
    'table',
    { class: options.className ?? 'grid', 'aria-label': options.label },
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, options.empty ?? 'Nothing to show.'))),
  );
}

const badge = (status) => h('span', { class: `badge status-${status}` }, status.replace(/_/g, ' '));

let fieldCount = 0;
/** A labelled input: the label names only the input (not the options of a select inside it). */
function field(label, input, hint) {
  input.id ||= `field-${++fieldCount}`;
  const hintNode = hint ? h('small', { id: `${input.id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute('aria-describedby', hintNode.id);
  return h('div', { class: 'field' }, h('label', { for: input.id, class: 'label' }, label), input, hintNode);
}

/** A one-field form that opens (or starts creating) the item the field names. */
function openForm(label, input, hashOf, props = {}) {
  return h(
    'form',
    {
      ...props,
      class: 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        go(hashOf(input.value.trim()));
      },
    },
    field(label, input),
    h('button', { type: 'submit' }, 'Open'),
  );
}

// ---------------------------------------------------------------------------------------------
// Messages: errors are shown to the person, never swallowed.

function clearMessages() {
  alertBox.hidden = true;
  alertBox.replaceChildren();
  noticeBox.hidden = true;
  noticeBox.replaceChildren();
}

function showError(error) {
  const details = Array.isArray(error?.details) ? error.details : error?.details ? [error.details] : [];
  // Through append: a missing part (no details) adds nothing, not the text "null".
  alertBox.replaceChildren();
  append(alertBox, [
    h('strong', {}, error?.status ? `${error.status} ${error.code}` : error?.code ?? 'Error'),
    ': ',
    error?.message ?? String(error),
    details.length
      ? h('ul', {}, details.map((d) => h('li', {}, d && typeof d === 'object' && 'field' in d ? `${d.field}: ${d.message}` : JSON.stringify(d))))
      : null,
  ]);
  alertBox.hidden = false;
  alertBox.scrollIntoView({ block: 'nearest' });
}

function notice(text) {
  noticeBox.replaceChildren(text);
  noticeBox.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// The operator API.

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

// The signed-in operator and their role (GET /v1/operator/me): the page shows only what the role may
// do. The routes refuse the rest anyway (403 naming the role needed); this only spares the attempt.
let me = null;
const ROLE_RANK = { viewer: 0, support: 1, admin: 2 };
const may = (role) => me !== null && (ROLE_RANK[me.role] ?? -1) >= ROLE_RANK[role];
const whoami = document.getElementById('whoami');

async function loadMe() {
  me = await api('GET', '/v1/operator/me');
  whoami.textContent = `${me.name ?? me.id} · ${me.role}`;
  // Views a role cannot use at all leave the navigation.
  for (const link of nav.querySelectorAll('a[data-needs]')) link.hidden = !may(link.dataset.needs);
}

/** Replaces what the signed-in role may not do (elements marked data-needs) with a line saying who may. */
function byRole(root) {
  for (const el of root.querySelectorAll('[data-needs]')) {
    if (el.tagName === 'A' && el.parentElement === nav) continue;
    if (!may(el.dataset.needs)) el.replaceWith(h('p', { class: 'muted role-note' }, `Your role (${me?.role ?? 'none'}) can read this; changing it needs the ${el.dataset.needs} role.`));
  }
}

async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      cache: 'no-store',
      credentials: 'omit',
      headers: { authorization: `Bearer ${token() ?? ''}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, 'network_error', `The service did not answer (${cause.message}): check that it is running, then retry.`);
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data.error : undefined;
    const error = new ApiError(
      response.status,
      problem?.code ?? `http_${response.status}`,
      problem?.message ?? `The service answered ${response.status} ${response.statusText}.`,
      problem?.details,
    );
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      me = null;
      error.message += ' Sign in again with a valid operator token.';
    }
    throw error;
  }
  return data;
}

const query = (params) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
const segment = encodeURIComponent;

/** GET `path`, or null when it is not there (404): a form to create it is shown instead. */
async function getOrNull(path) {
  try {
    return await api('GET', path);
  } catch (error) {
    if (error.status !== 404) throw error;
    return null;
  }
}

/** An idempotency key for one operator action (the dry run and the real call share it). */
function newEventId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `admin-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

// ---------------------------------------------------------------------------------------------
// Routing: each view renders into <main>; a view that finishes after the person moved on is dropped.

let generation = 0;

const routes = [
  [/^#\/errors\/(err_[0-9a-f]{24})$/, errorView],
  [/^#\/errors(?:\?(.*))?$/, errorsView],
  [/^#\/namespaces\/(\d{1,16})$/, namespaceView],
  [/^#\/namespaces\/?$/, namespaceSearchView],
  [/^#\/reassociate(?:\?(.*))?$/, reassociateView],
  [/^#\/corrections$/, correctionsView],
  [/^#\/noise-rules\/([a-z0-9-]{1,64})$/, noiseRuleView],
  [/^#\/noise-rules\/?$/, noiseRulesView],
  [/^#\/runbooks\/([A-Za-z][A-Za-z0-9_.-]{0,99})$/, runbookView],
  [/^#\/runbooks\/?$/, runbooksView],
  [/^#\/flags\/([a-z][a-z0-9_]{0,63})$/, flagView],
  [/^#\/flags\/?$/, flagsView],
  [/^#\/jobs$/, jobsView],
  [/^#\/metrics$/, metricsView],
];

async function render() {
  const mine = ++generation;
  clearMessages();
  if (!token()) {
    nav.hidden = true;
    signInView();
    return;
  }
  if (!me) {
    try {
      await loadMe();
    } catch (error) {
      if (mine !== generation) return;
      if (!token()) {
        nav.hidden = true;
        signInView();
      }
      showError(error);
      return;
    }
  }
  nav.hidden = false;
  const hash = location.hash && location.hash !== '#' ? location.hash : '#/errors';
  for (const link of nav.querySelectorAll('a')) {
    if (hash.startsWith(link.getAttribute('href'))) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const route = routes.find(([pattern]) => pattern.test(hash));
  if (!route) {
    view.replaceChildren(h('h2', {}, 'Not found'), h('p', {}, `Nothing at ${hash}: pick a view above.`));
    return;
  }
  const [pattern, fn] = route;
  const args = pattern.exec(hash).slice(1).map((a) => a ?? '');
  view.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  const paint = (...nodes) => {
    if (mine !== generation) return false;
    // Optional parts of a view come as null: nothing, not the text "null".
    view.replaceChildren(...nodes.flat().filter((node) => node !== null && node !== undefined && node !== false));
    byRole(view);
    return true;
  };
  try {
    await fn(paint, ...args);
  } catch (error) {
    if (mine !== generation) return;
    if (!token()) {
      // The token was refused: back to the sign-in form, with the reason.
      nav.hidden = true;
      signInView();
    } else {
      paint(h('p', { class: 'empty' }, 'This view could not be loaded: see the message above.'));
    }
    showError(error);
  }
}

function go(hash) {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

/** Runs an action from a form or button; its error is shown, its button disabled while it runs. */
async function act(button, fn) {
  clearMessages();
  if (button) button.disabled = true;
  try {
    await fn();
  } catch (error) {
    // A refused token signs the person out: the sign-in form comes back, with the reason.
    if (!token()) await render();
    showError(error);
  } finally {
    if (button) button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Sign in.

function signInView() {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        void act(button, async () => {
          try {
            await loadMe();
          } catch (error) {
            sessionStorage.removeItem(TOKEN_KEY);
            throw error;
          }
          await render();
        });
      },
    },
    h('h2', {}, 'Sign in'),
    h(
      'p',
      {},
      'Paste an operator token: locally one npm start printed (PROVISIONING_OPERATOR_TOKEN for admin, PROVISIONING_SUPPORT_TOKEN, PROVISIONING_VIEWER_TOKEN), in AWS an operator access token. ',
      'The page shows what your role may do. ',
      'It stays in this tab only (sessionStorage) and is sent as Authorization: Bearer to the operator API.',
    ),
    field('Operator token', input),
    button,
  );
  view.replaceChildren(form);
  input.focus();
}

document.getElementById('sign-out').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  me = null;
  whoami.textContent = '';
  void render().then(() => notice('Signed out: the token is removed from this tab.'));
});

// ---------------------------------------------------------------------------------------------
// Error log.

/** The commerce flows a failure can interrupt (shared/error-log/domain/origin.ts FLOWS). */
const FLOWS = ['purchase', 'update', 'upgrade', 'renewal', 'auto_renewal', 'reconciliation', 'catalog_sync', 'salesforce_sync', 'provisioning', 'other'];

/** Where a failure happened: `customers-portal · zuora · renewal`. */
const whereOf = (record) => [record.system, record.integration ?? 'no integration', record.flow.replace(/_/g, ' ')].join(' · ');

async function errorsView(paint, rawQuery) {
  const params = new URLSearchParams(rawQuery);
  const status = params.get('status') ?? '';
  const code = (params.get('code') ?? '').trim();
  const system = (params.get('system') ?? '').trim();
  const integration = (params.get('integration') ?? '').trim();
  const flow = params.get('flow') ?? '';

  const statusSelect = h('select', { name: 'status' }, h('option', { value: '' }, 'any'), Object.keys(NEXT_STATUSES).map((s) => h('option', { value: s }, s.replace(/_/g, ' '))));
  statusSelect.value = status;
  const codeInput = h('input', { name: 'code', value: code, placeholder: 'e.g. renewal_not_processed', pattern: '[A-Za-z0-9_.\\-]*', list: 'error-codes' });
  const systemInput = h('input', { name: 'system', value: system, placeholder: 'e.g. customers-portal', pattern: '[a-z0-9\\-]*' });
  const integrationInput = h('input', { name: 'integration', value: integration, placeholder: 'e.g. zuora, or none', pattern: '[a-z0-9\\-]*' });
  const flowSelect = h('select', { name: 'flow' }, h('option', { value: '' }, 'any'), FLOWS.map((f) => h('option', { value: f }, f.replace(/_/g, ' '))));
  flowSelect.value = flow;
  const codes = h('datalist', { id: 'error-codes' });
  const filters = h(
    'form',
    {
      class: 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        go(
          `#/errors${query({ status: statusSelect.value, code: codeInput.value.trim(), system: systemInput.value.trim(), integration: integrationInput.value.trim(), flow: flowSelect.value })}`,
        );
      },
    },
    field('Status', statusSelect),
    field('Code', codeInput),
    field('System', systemInput),
    field('Integration', integrationInput),
    field('Flow', flowSelect),
    codes,
    h('button', { type: 'submit' }, 'Filter'),
  );

  const tbody = h('tbody');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const summary = h('p', { class: 'muted' });
  let cursor;
  let shown = 0;
  const seenCodes = new Set();
  const filtered = Boolean(code || system || integration || flow);

  // The API filters; with code, system, integration or flow a page may hold fewer records than
  // asked (it reads a bounded number of records per call), so read on until a page is full.
  async function load() {
    let matched = 0;
    let pages = 0;
    do {
      const page = await api('GET', `/v1/errors${query({ status, code, system, integration, flow, limit: ERROR_PAGE - matched, cursor })}`);
      pages++;
      for (const record of page.items) {
        if (!seenCodes.has(record.code)) {
          seenCodes.add(record.code);
          codes.append(h('option', { value: record.code }));
        }
        matched++;
        shown++;
        tbody.append(errorRow(record));
      }
      cursor = page.nextCursor ?? undefined;
    } while (filtered && cursor && matched < ERROR_PAGE && pages < 10);
    more.hidden = !cursor;
    summary.replaceChildren(shown ? `${shown} shown${cursor ? ', more to load' : ''}.` : 'No errors match these filters.');
  }
  more.addEventListener('click', () => void act(more, load));
  await load();
  paint(
    h('h2', {}, 'Error log'),
    filters,
    h(
      'table',
      { class: 'grid', 'aria-label': 'Errors' },
      h('thead', {}, h('tr', {}, ['Status', 'Code', 'Message', 'Where', 'Source', 'Occurrences', 'Last seen', 'Issue'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody,
    ),
    summary,
    more,
  );
}

function errorRow(record) {
  return h(
    'tr',
    {},
    h('td', {}, badge(record.status)),
    h('td', {}, h('a', { href: `#/errors/${record.id}` }, record.code)),
    h('td', { class: 'message' }, record.message.length > 140 ? `${record.message.slice(0, 140)}…` : record.message),
    h('td', {}, whereOf(record)),
    h('td', {}, record.source),
    h('td', { class: 'num' }, record.occurrences),
    h('td', {}, when(record.lastSeenAt)),
    h('td', {}, record.gitlabIssueLink ? externalLink(record.gitlabIssueLink) : '—'),
  );
}

async function errorView(paint, id) {
  const record = await api('GET', `/v1/errors/${segment(id)}`);
  paint(errorDetail(record));
}

function errorDetail(record) {
  const moves = NEXT_STATUSES[record.status] ?? [];
  const statusSelect = h('select', { name: 'status' }, h('option', { value: '' }, `keep ${record.status.replace(/_/g, ' ')}`), moves.map((s) => h('option', { value: s }, s.replace(/_/g, ' '))));
  const notes = h('textarea', { name: 'notes', rows: 4, maxlength: 10000 }, record.notes ?? '');
  const link = h('input', { name: 'gitlabIssueLink', type: 'url', value: record.gitlabIssueLink ?? '', placeholder: 'https://gitlab.example.com/group/project/-/issues/1' });
  const save = h('button', { type: 'submit' }, 'Save');
  const form = h(
    'form',
    { 'data-needs': 'support',
      class: 'card',
      onsubmit: (event) => {
        event.preventDefault();
        const patch = {};
        if (statusSelect.value) patch.status = statusSelect.value;
        const newNotes = notes.value.trim();
        if (newNotes !== (record.notes ?? '')) patch.notes = newNotes === '' ? null : newNotes;
        const newLink = link.value.trim();
        if (newLink !== (record.gitlabIssueLink ?? '')) patch.gitlabIssueLink = newLink === '' ? null : newLink;
        if (!Object.keys(patch).length) {
          notice('Nothing changed: pick a status, or edit the notes or the issue link.');
          return;
        }
        void act(save, async () => {
          const updated = await api('PATCH', `/v1/errors/${segment(record.id)}`, patch);
          view.replaceChildren(errorDetail(updated));
          notice(`Saved: ${record.id} is ${updated.status.replace(/_/g, ' ')}.`);
        });
      },
    },
    h('h3', {}, 'Update'),
    h('p', { class: 'muted' }, moves.length ? `Workflow: from ${record.status.replace(/_/g, ' ')} it can move to ${moves.map((m) => m.replace(/_/g, ' ')).join(' or ')}.` : 'Resolved is final; the error log reopens it if the failure comes back.'),
    field('Move to', statusSelect),
    field('Notes', notes),
    field('GitLab issue', link),
    save,
  );
  return h(
    'article',
    {},
    h('p', {}, h('a', { href: '#/errors' }, '← Error log')),
    h('h2', {}, record.code, ' ', badge(record.status)),
    h('p', { class: 'lead' }, record.message),
    definitionList([
      ['Id', record.id],
      ['Subject', record.subject],
      ['Error type', record.errorType],
      ['Source', record.source],
      ['System', record.system],
      ['Integration', record.integration ?? '—'],
      ['Flow', record.flow.replace(/_/g, ' ')],
      ['Occurrences', record.occurrences],
      ['First seen', when(record.firstSeenAt)],
      ['Last seen', when(record.lastSeenAt)],
      ['GitLab issue', record.gitlabIssueLink ? externalLink(record.gitlabIssueLink) : '—'],
      ['Notes', record.notes],
      ['Slack', record.notificationFailed ? 'the announcement failed; the next digest retries it' : 'ok'],
    ]),
    record.links?.length
      ? [h('h3', {}, 'Systems of record'), h('ul', { class: 'links', 'aria-label': 'Systems of record' }, record.links.map((l) => h('li', {}, `${l.kind.replace(/_/g, ' ')}: `, externalLink(l.url))))]
      : null,
    runbookSection(record.runbook, record.code),
    form,
    h('h3', {}, 'Recent occurrences'),
    table(
      ['Occurred', 'Received', 'Event', 'Message', 'Payload'],
      (record.recentOccurrences ?? []).map((o) =>
        h(
          'tr',
          {},
          h('td', {}, when(o.occurredAt)),
          h('td', {}, when(o.receivedAt)),
          h('td', {}, h('code', {}, o.occurrenceId)),
          h('td', { class: 'message' }, o.message),
          h('td', {}, o.payload === null ? '—' : h('details', {}, h('summary', {}, 'payload'), h('pre', {}, JSON.stringify(o.payload, null, 2)))),
        ),
      ),
      { label: 'Recent occurrences', empty: 'No occurrence kept (they are kept 91 days).' },
    ),
    h('p', { class: 'muted' }, `The last ${(record.recentOccurrences ?? []).length} of ${record.occurrences}, newest first.`),
    h('h3', {}, 'Changes'),
    record.changesOmitted ? h('p', { class: 'muted' }, `${record.changesOmitted} older changes are not kept; the last ${record.changes.length} are.`) : null,
    table(
      ['When', 'Who', 'Field', 'From', 'To', 'Why'],
      [...record.changes].reverse().map((c) => h('tr', {}, h('td', {}, when(c.at)), h('td', {}, c.actor), h('td', {}, c.field), h('td', {}, show(c.from)), h('td', {}, show(c.to)), h('td', {}, show(c.reason)))),
      { label: 'Changes', empty: 'No changes yet.' },
    ),
    record.backtrace.length ? [h('h3', {}, 'Backtrace'), h('pre', {}, record.backtrace.join('\n'))] : null,
    h('h3', {}, 'Payload'),
    h('pre', {}, JSON.stringify(record.payload, null, 2)),
  );
}

// ---------------------------------------------------------------------------------------------
// Namespaces: state, seat statistics, history.

function namespaceSearch(initial = '') {
  const input = h('input', { name: 'lookup', value: initial, required: true, placeholder: '42 or A-S0001' });
  const button = h('button', { type: 'submit' }, 'Find');
  return h(
    'form',
    {
      class: 'filters',
      role: 'search',
      onsubmit: (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (/^\d+$/.test(value)) {
          go(`#/namespaces/${value}`);
          return;
        }
        void act(button, async () => {
          const found = await api('GET', `/v1/operator/subscriptions/${segment(value)}`);
          go(`#/namespaces/${found.namespaceId}`);
        });
      },
    },
    field('Namespace id or subscription id', input),
    button,
  );
}

async function namespaceSearchView(paint) {
  paint(h('h2', {}, 'Namespaces'), namespaceSearch(), h('p', { class: 'muted' }, 'A namespace by its id, or the namespace a subscription is associated with.'));
}

const STATE_GROUPS = [
  ['Subscription', ['subscriptionId', 'planCode', 'paidPlanCode', 'status', 'startDate', 'endDate', 'autoRenew', 'nextReconciliationDate', 'version', 'updatedAt']],
  ['Seats', ['seats', 'seatsInUse', 'maxSeatsUsed', 'maxSeatsUsedChangedAt', 'seatsOwed', 'lastMeasuredAt']],
  ['Trial', ['trial', 'trialStartsOn', 'trialEndsOn']],
];
/** Fields in the order the state shows them; anything else after, by name. */
const FIELD_ORDER = ['namespaceId', ...STATE_GROUPS.flatMap(([, fields]) => fields)];
const byFieldOrder = (a, b) => {
  const [i, j] = [FIELD_ORDER.indexOf(a), FIELD_ORDER.indexOf(b)];
  return (i < 0 ? FIELD_ORDER.length : i) - (j < 0 ? FIELD_ORDER.length : j) || a.localeCompare(b);
};

async function namespaceView(paint, namespaceId) {
  const data = await api('GET', `/v1/operator/namespaces/${segment(namespaceId)}`);
  const { state } = data;
  const timeline = h('ol', { class: 'timeline', 'aria-label': 'History' });
  const older = h('button', { type: 'button', hidden: !data.history.nextCursor }, 'Load older changes');
  const trials = trialsSection(state);
  let cursor = data.history.nextCursor;
  const addEntries = (items) => {
    timeline.append(...items.map(historyEntry));
    trials.add(items, Boolean(cursor));
  };
  addEntries(data.history.items);
  older.addEventListener('click', () =>
    void act(older, async () => {
      const page = await api('GET', `/v1/operator/namespaces/${segment(namespaceId)}${query({ cursor })}`);
      cursor = page.history.nextCursor;
      addEntries(page.history.items);
      older.hidden = !cursor;
    }),
  );
  const correction = correctionForm(state);
  if (correction.form) correction.form.dataset.needs = 'support';
  paint(
    namespaceSearch(namespaceId),
    h('h2', {}, `Namespace ${state.namespaceId}`, ' ', badge(state.status)),
    h(
      'div',
      { class: 'columns' },
      STATE_GROUPS.map(([title, fields]) => h('section', { class: 'card', 'aria-label': title }, h('h3', {}, title), definitionList(fields.map((f) => [f, state[f]])))),
    ),
    h('h3', {}, 'Terms'),
    h('div', { class: 'columns' }, termCard('Current term', currentTerm(state)), termCard('Previous term', state.previousTerm)),
    trials.section,
    correction.form,
    correction.outcome,
    state.subscriptionId
      ? h('p', { 'data-needs': 'support' }, h('a', { class: 'button', href: `#/reassociate${query({ subscriptionId: state.subscriptionId })}` }, `Force reassociation of ${state.subscriptionId}…`))
      : null,
    h('h3', {}, 'History'),
    h('p', { class: 'muted' }, 'Newest first; each change with the fields it changed, before and after.'),
    timeline,
    older,
  );
}

/** The current term's figures, in the shape of a previous term (null before any term). */
function currentTerm(state) {
  if (!state.startDate) return null;
  const { subscriptionId, seats, startDate, endDate, expiredOn, maxSeatsUsed, maxSeatsUsedChangedAt, seatsBilled, seatsOwed, nextReconciliationDate } = state;
  return { subscriptionId, planCode: state.paidPlanCode ?? state.planCode, seats, startDate, endDate, expiredOn, maxSeatsUsed, maxSeatsUsedChangedAt, seatsBilled, seatsOwed, nextReconciliationDate };
}

/** A term's figures side by side with the other term's: what was billed, what is still owed. */
function termCard(title, term) {
  return h(
    'section',
    { class: 'card', 'aria-label': title },
    h('h3', {}, title),
    term
      ? definitionList([
          ['Subscription', term.subscriptionId],
          ['Plan', term.planCode],
          ['Dates', `${term.startDate} → ${term.endDate}${term.expiredOn ? ` (expired ${term.expiredOn})` : ''}`],
          ['Seats', term.seats],
          ['Peak', term.maxSeatsUsed],
          ['Peak reached', when(term.maxSeatsUsedChangedAt)],
          ['Billed', term.seatsBilled ?? 0],
          ['Owed', term.seatsOwed],
          ['Next reconciliation', term.nextReconciliationDate],
        ])
      : h('p', { class: 'empty' }, title === 'Current term' ? 'No term yet.' : 'No previous term: none has ended here yet.'),
  );
}

/** What a history entry did to trials, or null when it did nothing to them. */
function trialEvent(entry) {
  const before = entry.before;
  const after = entry.after;
  let what = null;
  // The service marks a trial started after an earlier one ended (in business order) a reactivation.
  if (entry.type === 'trialStarted') what = entry.reactivation ? 'reactivation' : 'started';
  else if (entry.type === 'trialExtended') what = 'extended';
  else if (entry.type === 'trialEnded') what = 'ended';
  else if (before?.trial && !after.trial) what = `ended by ${entry.type}`;
  if (!what) return null;
  if (entry.outcome && entry.outcome !== 'applied') return `${what} (${entry.outcome}${entry.rejection ? `: ${entry.rejection.code}` : ''})`;
  return entry.changed === false ? `${what} (changed nothing)` : what;
}

/** The trial now, and the trial events of the history loaded so far (`add` as older pages load). */
function trialsSection(state) {
  const events = [];
  const body = h('div');
  const add = (items, more) => {
    for (const entry of items) {
      const what = trialEvent(entry);
      if (what) events.push({ entry, what });
    }
    body.replaceChildren();
    append(body, [
      table(
        ['Event', 'Occurred', 'Applied', 'Trial after', 'Plan after', 'By'],
        events.map(({ entry, what }) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, what),
            h('td', {}, when(entry.occurredAt)),
            h('td', {}, when(entry.appliedAt)),
            h('td', {}, `${show(entry.after.trialStartsOn)} → ${show(entry.after.trialEndsOn)}${entry.after.trial ? ' (running)' : ''}`),
            h('td', {}, entry.after.planCode),
            h('td', {}, entry.actor),
          ),
        ),
        { label: 'Trial history', empty: 'No trial events in the history loaded.' },
      ),
      more ? h('p', { class: 'muted' }, 'From the history loaded below: load older changes for earlier trial events.') : null,
    ]);
  };
  const status = state.trial ? 'running' : state.trialStartsOn ? 'ended' : 'none';
  const section = h(
    'section',
    { class: 'card', 'aria-label': 'Trials' },
    h('h3', {}, 'Trials'),
    definitionList([
      ['Trial', status],
      ['Dates', state.trialStartsOn ? `${state.trialStartsOn} → ${state.trialEndsOn ?? '—'}` : '—'],
      ['Plan', state.trial ? state.planCode : '—'],
    ]),
    body,
  );
  return { section, add };
}

/** A term's peak fields, for the correction's before and after. */
function termFigures(state, termStartDate) {
  const term = state.startDate === termStartDate ? state : state.previousTerm?.startDate === termStartDate ? state.previousTerm : null;
  return term ? { maxSeatsUsed: term.maxSeatsUsed, maxSeatsUsedChangedAt: term.maxSeatsUsedChangedAt, seatsBilled: term.seatsBilled, seatsOwed: term.seatsOwed } : {};
}

const CORRECTION_WHY = { reasons: CORRECTION_REASONS, hint: 'At least 10 visible characters; kept with the record.', placeholder: 'Why, in your words: ticket, what was measured wrong' };

/** An operator's correction of the current or the previous term's peak: a dry run first, then apply. */
function correctionForm(state) {
  const starts = [
    state.startDate ? [state.startDate, `current term, from ${state.startDate} (peak ${state.maxSeatsUsed})`] : null,
    state.previousTerm ? [state.previousTerm.startDate, `previous term, from ${state.previousTerm.startDate} (peak ${state.previousTerm.maxSeatsUsed})`] : null,
  ].filter(Boolean);
  if (!starts.length) return { form: null, outcome: null };
  const term = h('select', { name: 'termStartDate', required: true }, starts.map(([value, label]) => h('option', { value }, label)));
  const peak = h('input', { type: 'number', name: 'maxSeatsUsed', required: true, min: 0, step: 1 });
  const namespaceId = state.namespaceId;
  const path = `/v1/namespaces/${segment(namespaceId)}/seat-statistics/corrections`;
  return dryRunForm({
    label: "Correct a term's peak",
    previewLabel: 'Preview correction (dry run)',
    applyLabel: 'Apply correction',
    changedText: 'The form changed: preview again before applying the correction.',
    request: (why) => ({ termStartDate: term.value, maxSeatsUsed: Number(peak.value), ...why }),
    send: (body, eventId, dryRun) => api('POST', path, { eventId, ...body, ...(dryRun ? { dryRun: true } : {}) }),
    previewed: (after, body) =>
      h(
        'div',
        { class: 'card dry-run' },
        h('h3', {}, 'Dry run: what the correction would change (nothing was written)'),
        diffTable(termFigures(state, body.termStartDate), termFigures(after, body.termStartDate), `Term from ${body.termStartDate}`),
      ),
    applied: async (after, body, eventId) => {
      const before = termFigures(state, body.termStartDate).maxSeatsUsed;
      await render();
      notice(`Corrected: the peak of the term from ${body.termStartDate} on namespace ${namespaceId} went from ${show(before)} to ${termFigures(after, body.termStartDate).maxSeatsUsed} (event ${eventId}).`);
    },
    heading: h('h3', {}, "Correct a term's peak"),
    intro: 'Sets the peak (maxSeatsUsed) of the current or the previous term, recorded with your identity and counted in the corrections report; later measurements above it still raise it. Preview first: the dry run writes nothing.',
    fields: [field('Term', term), field('Peak (maxSeatsUsed)', peak)],
    why: CORRECTION_WHY,
    after: h('p', {}, h('a', { href: '#/corrections' }, 'All corrections: the report')),
  });
}

function changedFields(before, after) {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort(byFieldOrder);
  return keys.filter((k) => JSON.stringify(before?.[k] ?? null) !== JSON.stringify(after?.[k] ?? null));
}

function diffTable(before, after, label) {
  const keys = changedFields(before, after);
  return table(
    ['Field', 'Before', 'After'],
    keys.map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', { class: 'before' }, show(before?.[k])), h('td', { class: 'after' }, show(after?.[k])))),
    { label, className: 'grid diff', empty: 'No field changes.' },
  );
}

function historyEntry(entry) {
  const all = Object.keys(entry.after).sort(byFieldOrder);
  return h(
    'li',
    {},
    h(
      'p',
      { class: 'entry-head' },
      h('strong', {}, entry.type),
      ` · version ${entry.version} · applied ${when(entry.appliedAt)} · occurred ${when(entry.occurredAt)} · by ${entry.actor} · event ${entry.eventId}`,
    ),
    diffTable(entry.before, entry.after, `Changes of version ${entry.version}`),
    h(
      'details',
      {},
      h('summary', {}, 'Whole state before and after'),
      table(['Field', 'Before', 'After'], all.map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, show(entry.before?.[k])), h('td', {}, show(entry.after[k]))))),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Operator acts previewed first (force reassociation, a peak correction): Preview sends a dry run
// and shows what would change; Apply is enabled only then and sends the same request with the
// same eventId (changing the form asks for a new preview).

function dryRunForm({ label, heading, intro, fields, why: whyText, after, previewLabel, applyLabel, changedText, request, send, previewed, applied }) {
  // Every operator act says why: a reason the reports count, and a note kept with the record.
  const reason = h('select', { name: 'reason', required: true }, whyText.reasons.map((r) => h('option', { value: r }, words(r))));
  const note = h('textarea', { name: 'note', required: true, minlength: 10, maxlength: 2000, rows: 3, placeholder: whyText.placeholder });
  const why = () => ({ reason: reason.value, note: note.value.trim() });
  const previewButton = h('button', { type: 'submit' }, previewLabel);
  const applyButton = h('button', { type: 'button', class: 'danger', disabled: true }, applyLabel);
  const outcome = h('section', { 'aria-label': `${label}: dry run and result`, 'aria-live': 'polite' });
  let preview;
  const keyOf = (r) => JSON.stringify(r);

  const form = h(
    'form',
    {
      class: 'card',
      'aria-label': label,
      oninput: () => {
        // Changing anything after a preview asks for a new one: the real call applies what was previewed.
        if (preview && keyOf(request(why())) !== preview.key) {
          preview = undefined;
          applyButton.disabled = true;
          outcome.replaceChildren(h('p', { class: 'muted' }, changedText));
        }
      },
      onsubmit: (event) => {
        event.preventDefault();
        const r = request(why());
        const eventId = newEventId();
        void act(previewButton, async () => {
          const result = await send(r, eventId, true);
          preview = { key: keyOf(r), eventId };
          outcome.replaceChildren(previewed(result, r));
          applyButton.disabled = false;
        });
      },
    },
    heading,
    h('p', { class: 'muted' }, intro),
    fields,
    field('Reason', reason),
    field('Note', note, whyText.hint),
    after,
    h('div', { class: 'actions' }, previewButton, applyButton),
  );

  applyButton.addEventListener('click', () => {
    if (!preview) return;
    const r = request(why());
    const { eventId } = preview;
    void act(null, async () => {
      // Stays disabled once applied: a second click would only replay the same eventId.
      applyButton.disabled = true;
      let result;
      try {
        result = await send(r, eventId, false);
      } catch (error) {
        applyButton.disabled = false;
        throw error;
      }
      preview = undefined;
      await applied(result, r, eventId, outcome);
    });
  });
  return { form, outcome };
}

// ---------------------------------------------------------------------------------------------
// Force reassociation: the form, the dry run's diff first, then the real call; the report.

const REASSOCIATION_WHY = { reasons: REASONS, hint: 'At least 10 characters; kept with the record.', placeholder: 'Why, in your words: ticket, customer, what went wrong' };

async function reassociateView(paint, rawQuery) {
  const params = new URLSearchParams(rawQuery);
  const subscription = h('input', { name: 'subscriptionId', required: true, value: params.get('subscriptionId') ?? '', placeholder: 'A-S0001' });
  const target = h('input', { name: 'targetNamespaceId', required: true, type: 'number', min: 1, step: 1, value: params.get('targetNamespaceId') ?? '' });
  const replacePaid = h('input', { type: 'checkbox', name: 'replacePaid' });

  const { form, outcome } = dryRunForm({
    label: 'Force reassociation',
    previewLabel: 'Preview (dry run)',
    applyLabel: 'Reassociate',
    changedText: 'The form changed: preview again before reassociating.',
    request: (why) => ({
      subscriptionId: subscription.value.trim(),
      body: {
        targetNamespaceId: Number(target.value),
        ...why,
        ...(replacePaid.checked ? { replacePaid: true } : {}),
      },
    }),
    send: (r, eventId, dryRun) => api('POST', `/v1/subscriptions/${segment(r.subscriptionId)}/reassociations`, { eventId, ...r.body, ...(dryRun ? { dryRun: true } : {}) }),
    previewed: (result, r) => reassociationResult(result, r.subscriptionId),
    applied: async (result, r, eventId, outcome) => {
      outcome.replaceChildren(reassociationResult(result, r.subscriptionId));
      notice(`Reassociated: ${r.subscriptionId} moved from namespace ${result.before.source.namespaceId} to namespace ${result.after.target.namespaceId} (event ${eventId}).`);
      await report.load();
    },
    heading: h('h2', {}, 'Force reassociation'),
    intro: 'Moves a subscription and its whole term (peak never reset; the target’s own measurements within the term count toward it) to another namespace, with a reason. Preview first: the dry run writes nothing and shows the diff; Reassociate then applies exactly what was previewed.',
    fields: [field('Subscription id', subscription), field('Target namespace id', target)],
    why: REASSOCIATION_WHY,
    after: h('label', { class: 'check' }, replacePaid, ' Replace an active paid subscription the target holds'),
  });

  const report = await reportSection(REASSOCIATION_REPORT);
  form.dataset.needs = 'support';
  paint(form, outcome, report.section);
}

function reassociationResult(result, subscriptionId) {
  const source = result.before.source.namespaceId;
  const targetId = result.after.target.namespaceId;
  return h(
    'div',
    { class: `card ${result.dryRun ? 'dry-run' : 'applied'}` },
    h('h3', {}, result.dryRun ? `Dry run: what would change (nothing was written)` : `Applied: ${subscriptionId} is on namespace ${targetId}`),
    result.warnings.length ? h('ul', { class: 'warnings', 'aria-label': 'Warnings' }, result.warnings.map((w) => h('li', {}, h('strong', {}, w.code), ': ', w.message))) : null,
    h(
      'div',
      { class: 'columns' },
      h('section', {}, h('h4', {}, 'Source ', h('a', { href: `#/namespaces/${source}` }, `namespace ${source}`)), diffTable(result.before.source, result.after.source, `Source namespace ${source}`)),
      h('section', {}, h('h4', {}, 'Target ', h('a', { href: `#/namespaces/${targetId}` }, `namespace ${targetId}`)), diffTable(result.before.target, result.after.target, `Target namespace ${targetId}`)),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The operators' reports: a date range's records newest first, counted by reason and ISO week.

const namespaceLink = (id) => h('a', { href: `#/namespaces/${id}` }, id);
const words = (code) => code.replace(/_/g, ' ');

const REASSOCIATION_REPORT = {
  path: '/v1/reassociations',
  label: 'Reassociation report',
  title: 'Why reassociations are still needed',
  one: 'reassociation',
  many: 'Reassociations',
  reasons: REASONS,
  columns: ['Applied', 'Subscription', 'From', 'To', 'Reason', 'Note', 'By'],
  cells: (item) => [item.subscriptionId, namespaceLink(item.sourceNamespaceId), namespaceLink(item.targetNamespaceId)],
  extra: (counts) =>
    h('p', { class: 'muted' }, `Trial conversions: target was in a trial ${counts.trialConversion.targetWasInTrial}, was not ${counts.trialConversion.targetNotInTrial} (a paid created converts a trial by itself).`),
};

const CORRECTION_REPORT = {
  path: '/v1/seat-statistics/corrections',
  label: 'Corrections report',
  title: 'Corrections of seat statistics',
  one: 'correction',
  many: 'Corrections',
  reasons: CORRECTION_REASONS,
  columns: ['Applied', 'Namespace', 'Subscription', 'Term from', 'Peak before → after', 'Reason', 'Note', 'By'],
  cells: (item) => [namespaceLink(item.namespaceId), item.subscriptionId ?? '—', item.termStartDate, `${show(item.previousMaxSeatsUsed)} → ${item.maxSeatsUsed}`],
  extra: () => h('p', { class: 'muted' }, "Each is an operator's correction of a term's peak; later measurements above it still raise it."),
};

const isoDay = (date) => date.toISOString().slice(0, 10);

/** A report's section: its range form, loaded once now; `load` loads it again. */
async function reportSection(spec) {
  const today = new Date();
  const from = h('input', { type: 'date', name: 'from', value: isoDay(new Date(today.getTime() - 89 * 86_400_000)), required: true });
  const to = h('input', { type: 'date', name: 'to', value: isoDay(today), required: true });
  const button = h('button', { type: 'submit' }, 'Show');
  const body = h('div');
  const load = async () => body.replaceChildren(reportBody(await api('GET', `${spec.path}${query({ from: from.value, to: to.value, limit: 50 })}`), spec));
  const section = h(
    'section',
    { class: 'report', 'aria-label': spec.label },
    h('h2', {}, spec.title),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (event) => {
          event.preventDefault();
          void act(button, load);
        },
      },
      field('From', from),
      field('To', to),
      button,
    ),
    body,
  );
  try {
    await load();
  } catch (error) {
    body.replaceChildren(h('p', { class: 'empty' }, 'The report could not be loaded: see the message above.'));
    queueMicrotask(() => showError(error));
  }
  return { section, load };
}

function reportBody(report, spec) {
  const { counts } = report;
  return h(
    'div',
    {},
    h('p', {}, `${counts.total} ${spec.one}${counts.total === 1 ? '' : 's'} from ${report.from} to ${report.to}.`),
    weekChart(counts.byWeek, spec),
    table(
      ['Reason', 'Count'],
      spec.reasons.map((r) => h('tr', {}, h('th', { scope: 'row' }, h('span', { class: `swatch reason-${r}` }), ' ', words(r)), h('td', { class: 'num' }, counts.byReason[r] ?? 0))),
      { label: `${spec.many} by reason` },
    ),
    spec.extra(counts),
    h('h3', {}, 'Newest first'),
    table(
      spec.columns,
      report.items.map((item) =>
        h(
          'tr',
          {},
          [when(item.appliedAt), ...spec.cells(item)].map((cell) => h('td', {}, cell)),
          h('td', {}, words(item.reason)),
          h('td', { class: 'message' }, item.note),
          h('td', {}, item.actor),
        ),
      ),
      { label: spec.many, empty: `No ${spec.many.toLowerCase()} in this range.` },
    ),
    report.nextCursor ? h('p', { class: 'muted' }, 'Only the newest 50 are listed; narrow the range to see older ones.') : null,
  );
}

/** Records per ISO week, stacked by reason, as an inline SVG bar chart. */
function weekChart(weeks, spec) {
  const width = 760;
  const height = 220;
  const pad = { left: 36, right: 8, top: 12, bottom: 44 };
  const max = Math.max(1, ...weeks.map((w) => w.total));
  const slot = (width - pad.left - pad.right) / Math.max(1, weeks.length);
  const barWidth = Math.max(2, slot * 0.7);
  const y = (value) => pad.top + (height - pad.top - pad.bottom) * (1 - value / max);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `${spec.many} per week, by reason: ${weeks.map((w) => `${w.week} ${w.total}`).join(', ')}` });
  for (const tick of new Set([0, Math.ceil(max / 2), max])) {
    chart.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: 'gridline' }));
    chart.append(svg('text', { x: pad.left - 6, y: y(tick) + 4, 'text-anchor': 'end', class: 'axis' }, String(tick)));
  }
  const labelEvery = Math.ceil(weeks.length / 13);
  weeks.forEach((week, i) => {
    const x = pad.left + i * slot + (slot - barWidth) / 2;
    let base = 0;
    for (const reason of spec.reasons) {
      const n = week.byReason[reason] ?? 0;
      if (!n) continue;
      chart.append(svg('rect', { x, y: y(base + n), width: barWidth, height: y(base) - y(base + n), class: `reason-${reason}` }, svg('title', {}, `${week.week}: ${n} ${words(reason)}`)));
      base += n;
    }
    if (i % labelEvery === 0) chart.append(svg('text', { x: x + barWidth / 2, y: height - pad.bottom + 14, 'text-anchor': 'middle', class: 'axis' }, week.week.replace(/^\d{4}-/, '')));
  });
  chart.append(svg('text', { x: pad.left, y: height - 8, class: 'axis' }, `ISO weeks ${weeks[0]?.week ?? ''} – ${weeks.at(-1)?.week ?? ''}`));
  const legend = h('p', { class: 'legend' }, spec.reasons.map((r) => h('span', {}, h('span', { class: `swatch reason-${r}` }), ' ', words(r))));
  return h('figure', {}, chart, h('figcaption', {}, legend));
}

async function correctionsView(paint) {
  const report = await reportSection(CORRECTION_REPORT);
  paint(report.section, h('p', { class: 'muted' }, "Correct a term's peak from its namespace's view (Namespaces)."));
}

// ---------------------------------------------------------------------------------------------
// Runbooks: what to do about a code. Markdown is rendered as DOM nodes (headings, lists, links,
// code spans, paragraphs) — every piece of it set as text, never as HTML.

/** Inline Markdown: `code` and [text](http(s) URL); everything else is text. */
function inline(text) {
  const nodes = [];
  const pattern = /`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (m.index > last) nodes.push(text.slice(last, m.index));
    if (m[1] !== undefined) nodes.push(h('code', {}, m[1]));
    else {
      const link = externalLink(m[3]);
      if (link instanceof Node) link.textContent = m[2];
      nodes.push(link instanceof Node ? link : m[0]);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

/** A minimal, safe Markdown rendering: `#` headings, `-`/`*`/`1.` lists, paragraphs. */
function markdown(text) {
  const root = h('div', { class: 'markdown' });
  let list = null;
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) root.append(h('p', {}, inline(paragraph.join(' '))));
    paragraph = [];
  };
  for (const raw of String(text).split('\n')) {
    const line = raw.trimEnd();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      list = null;
      root.append(h(`h${Math.min(6, heading[1].length + 3)}`, {}, inline(heading[2])));
    } else if (item) {
      flush();
      if (!list) root.append((list = h('ul')));
      list.append(h('li', {}, inline(item[1])));
    } else if (line.trim() === '') {
      flush();
      list = null;
    } else {
      list = null;
      paragraph.push(line.trim());
    }
  }
  flush();
  return root;
}

function runbookSection(runbook, code) {
  if (!runbook) {
    return h(
      'section',
      { class: 'runbook card', 'aria-label': 'Runbook' },
      h('h3', {}, 'Runbook'),
      h('p', { class: 'muted' }, `No runbook for ${code} yet. `, h('a', { href: `#/runbooks/${segment(code)}` }, 'Write one')),
    );
  }
  return h(
    'section',
    { class: 'runbook card', 'aria-label': 'Runbook' },
    h('h3', {}, 'Runbook: ', runbook.title),
    h('p', { class: 'muted' }, runbook.owner ? `Owner: ${runbook.owner} · ` : '', runbook.source === 'default' ? 'shipped with the service · ' : 'saved by an operator · ', h('a', { href: `#/runbooks/${segment(runbook.code)}` }, 'edit')),
    markdown(runbook.steps),
    runbook.links?.length ? h('ul', { class: 'links' }, runbook.links.map((l) => h('li', {}, (() => { const a = externalLink(l.url); if (a instanceof Node) a.textContent = l.title; return a; })()))) : null,
  );
}

async function runbooksView(paint) {
  const { items } = await api('GET', '/v1/runbooks');
  const code = h('input', { name: 'code', required: true, pattern: '[A-Za-z][A-Za-z0-9_.\\-]{0,99}', placeholder: 'VALIDATION_ERROR' });
  paint(
    h('h2', {}, 'Runbooks'),
    h('p', { class: 'muted' }, 'What to do about each error code. The service ships one for its own codes; a saved runbook replaces it. Records, Slack messages and digests link them.'),
    table(
      ['Code', 'Title', 'Owner', 'Source', 'Version', 'Changed'],
      items.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/runbooks/${segment(r.code)}` }, r.code)),
          h('td', {}, r.title),
          h('td', {}, show(r.owner)),
          h('td', {}, r.source === 'default' ? 'shipped' : 'saved'),
          h('td', { class: 'num' }, r.version),
          h('td', {}, r.updatedAt ? `${when(r.updatedAt)} by ${r.updatedBy}` : '—'),
        ),
      ),
      { label: 'Runbooks', empty: 'No runbooks.' },
    ),
    openForm('Open or write the runbook of a code', code, (value) => `#/runbooks/${segment(value)}`),
  );
}

async function runbookView(paint, code) {
  const runbook = await getOrNull(`/v1/runbooks/${segment(code)}`);
  const history = runbook?.version ? await api('GET', `/v1/runbooks/${segment(code)}/history${query({ limit: 20 })}`) : { items: [] };
  const title = h('input', { name: 'title', required: true, maxlength: 200, value: runbook?.title ?? '' });
  const steps = h('textarea', { name: 'steps', rows: 12, required: true, maxlength: 20000 }, runbook?.steps ?? '');
  const owner = h('input', { name: 'owner', maxlength: 200, value: runbook?.owner ?? '' });
  const links = h('textarea', { name: 'links', rows: 3, placeholder: 'one per line: Title | https://…' }, (runbook?.links ?? []).map((l) => `${l.title} | ${l.url}`).join('\n'));
  const save = h('button', { type: 'submit' }, 'Save');
  paint(
    h('p', {}, h('a', { href: '#/runbooks' }, '← Runbooks')),
    h('h2', {}, 'Runbook of ', h('code', {}, code)),
    runbook ? runbookSection(runbook, code) : h('p', { class: 'muted' }, 'No runbook for this code yet: saving creates one.'),
    h(
      'form',
      { 'data-needs': 'admin',
        class: 'card',
        onsubmit: (event) => {
          event.preventDefault();
          const body = {
            title: title.value.trim(),
            steps: steps.value,
            ...(owner.value.trim() ? { owner: owner.value.trim() } : {}),
            links: links.value
              .split('\n')
              .map((line) => line.trim())
              .filter(Boolean)
              .map((line) => {
                const at = line.lastIndexOf('|');
                return at < 0 ? { title: line, url: line } : { title: line.slice(0, at).trim(), url: line.slice(at + 1).trim() };
              }),
            // Only if nobody changed it since this page was loaded (409 version_conflict otherwise).
            expectedVersion: runbook?.version ?? 0,
          };
          void act(save, async () => {
            const saved = await api('PUT', `/v1/runbooks/${segment(code)}`, body);
            await render();
            notice(`Saved the runbook of ${code}: version ${saved.version}.`);
          });
        },
      },
      h('h3', {}, runbook?.source === 'stored' ? 'Edit' : 'Write the runbook'),
      field('Title', title),
      field('Steps (Markdown)', steps, 'Headings (#), lists (-), links [text](https://…), `code`; at most 20 000 characters.'),
      field('Owner (optional)', owner),
      field('Links (optional)', links, 'One per line: Title | https://…'),
      save,
    ),
    h('h3', {}, 'History'),
    table(
      ['Version', 'Changed', 'By', 'Title'],
      history.items.map((e) => h('tr', {}, h('td', { class: 'num' }, e.version), h('td', {}, when(e.changedAt)), h('td', {}, e.operator), h('td', {}, e.after?.title ?? '—'))),
      { label: 'Runbook history', empty: runbook?.source === 'default' ? 'Shipped with the service: never changed.' : 'No changes yet.' },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Noise rules: what the error log counts but does not store or announce.

const MATCH_FIELDS = ['code', 'system', 'integration', 'flow', 'messageContains'];
const describeMatch = (match) => MATCH_FIELDS.filter((f) => match[f] !== undefined).map((f) => `${f} ${f === 'messageContains' ? '∋' : '='} ${match[f]}`).join(' and ');

async function noiseRulesView(paint) {
  const { items } = await api('GET', '/v1/noise-rules');
  const id = h('input', { name: 'ruleId', required: true, pattern: '[a-z0-9](?:[a-z0-9\\-]{0,62}[a-z0-9])?', placeholder: 'zuora-sandbox' });
  paint(
    h('h2', {}, 'Noise rules'),
    h('p', { class: 'muted' }, 'A failure a rule matches is counted on the rule (and as the ErrorLogNoiseDropped metric), not stored and not announced. Rules apply to every failure received after they are saved. Built-in rules come from ERROR_LOG_NOISE_CODES.'),
    table(
      ['Rule', 'Matches', 'Reason', 'In force', 'Silenced', 'Last silenced', 'Version', 'Changed'],
      items.map((r) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/noise-rules/${segment(r.id)}` }, r.id)),
          h('td', {}, describeMatch(r.match)),
          h('td', {}, r.reason),
          h('td', {}, r.active ? (r.expiresAt ? `until ${when(r.expiresAt)}` : 'yes') : `expired ${when(r.expiresAt)}`),
          h('td', { class: 'num' }, r.matched),
          h('td', {}, when(r.lastMatchedAt)),
          h('td', { class: 'num' }, r.source === 'default' ? 'built-in' : r.version),
          h('td', {}, r.updatedAt ? `${when(r.updatedAt)} by ${r.updatedBy}` : '—'),
        ),
      ),
      { label: 'Noise rules', empty: 'No noise rules: every failure is stored.' },
    ),
    openForm('Open or create a rule', id, (value) => `#/noise-rules/${segment(value)}`, { 'data-needs': 'admin' }),
  );
}

async function noiseRuleView(paint, id) {
  const { items } = await api('GET', '/v1/noise-rules');
  const rule = items.find((r) => r.id === id) ?? null;
  const history = (await getOrNull(`/v1/noise-rules/${segment(id)}/history${query({ limit: 20 })}`)) ?? { items: [] };
  const inputs = Object.fromEntries(MATCH_FIELDS.map((f) => [f, h('input', { name: f, value: rule?.match[f] ?? '' })]));
  const reason = h('input', { name: 'reason', required: true, maxlength: 1000, value: rule?.reason ?? '' });
  const expiresAt = h('input', { name: 'expiresAt', type: 'datetime-local', value: rule?.expiresAt ? rule.expiresAt.slice(0, 16) : '' });
  const version = rule?.source === 'stored' ? rule.version : (history.items[0]?.version ?? 0);
  const save = h('button', { type: 'submit' }, rule ? 'Save' : 'Create');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete…');
  remove.addEventListener('click', () => {
    if (!confirm(`Delete the noise rule ${id}? Failures it matches will be stored and announced again.`)) return;
    void act(remove, async () => {
      await api('DELETE', `/v1/noise-rules/${segment(id)}`, { expectedVersion: version });
      await render();
      notice(`Deleted the noise rule ${id}.`);
    });
  });
  paint(
    h('p', {}, h('a', { href: '#/noise-rules' }, '← Noise rules')),
    h('h2', {}, 'Noise rule ', h('code', {}, id)),
    rule
      ? definitionList([
          ['Matches', describeMatch(rule.match)],
          ['Source', rule.source === 'default' ? 'built-in (ERROR_LOG_NOISE_CODES)' : `saved, version ${rule.version}`],
          ['In force', rule.active ? 'yes' : 'no (expired)'],
          ['Silenced', rule.matched],
          ['Last silenced', when(rule.lastMatchedAt)],
        ])
      : h('p', { class: 'muted' }, 'No such rule yet: saving creates it.'),
    h(
      'form',
      { 'data-needs': 'admin',
        class: 'card',
        onsubmit: (event) => {
          event.preventDefault();
          const match = {};
          for (const f of MATCH_FIELDS) if (inputs[f].value.trim()) match[f] = inputs[f].value.trim();
          const body = { match, reason: reason.value.trim(), expectedVersion: version };
          if (expiresAt.value) body.expiresAt = new Date(`${expiresAt.value}Z`).toISOString();
          void act(save, async () => {
            const saved = await api('PUT', `/v1/noise-rules/${segment(id)}`, body);
            await render();
            notice(`Saved ${id}: version ${saved.version}.`);
          });
        },
      },
      h('h3', {}, 'Match'),
      h('p', { class: 'muted' }, 'Every field filled in must match; the message is matched case-insensitively.'),
      MATCH_FIELDS.map((f) => field(f, inputs[f])),
      field('Reason', reason),
      field('Expires (UTC, optional)', expiresAt),
      save,
      rule ? [' ', remove] : null,
    ),
    h('h3', {}, 'History'),
    table(
      ['Version', 'Changed', 'By', 'Change', 'Matches after'],
      history.items.map((e) => h('tr', {}, h('td', { class: 'num' }, e.version), h('td', {}, when(e.changedAt)), h('td', {}, e.operator), h('td', {}, e.action), h('td', {}, e.after ? describeMatch(e.after.match) : '—'))),
      { label: 'Noise rule history', empty: 'No changes yet.' },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Feature flags: gates, history, edits.

async function flagsView(paint) {
  const { items } = await api('GET', '/v1/flags');
  const name = h('input', { name: 'flag', required: true, pattern: '[a-z][a-z0-9_]{0,63}', placeholder: 'account_data_persistence' });
  paint(
    h('h2', {}, 'Feature flags'),
    table(
      ['Flag', 'Boolean gate', 'Actors', 'Percentage of actors', 'Version', 'Changed', 'By'],
      items.map((f) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/flags/${f.name}` }, f.name)),
          h('td', {}, f.enabled ? 'on for everyone' : 'off'),
          h('td', { class: 'num' }, f.actors.length),
          h('td', { class: 'num' }, `${f.percentageOfActors}%`),
          h('td', { class: 'num' }, f.version),
          h('td', {}, when(f.updatedAt)),
          h('td', {}, f.updatedBy),
        ),
      ),
      { label: 'Flags', empty: 'No flags yet.' },
    ),
    openForm('Open or create a flag', name, (value) => `#/flags/${value}`, { 'data-needs': 'admin' }),
  );
}

async function flagView(paint, name) {
  const flag = await getOrNull(`/v1/flags/${segment(name)}`);
  const history = flag ? await api('GET', `/v1/flags/${segment(name)}/history${query({ limit: 50 })}`) : { items: [] };
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: flag?.enabled ?? false });
  const actors = h('textarea', { name: 'actors', rows: 4, placeholder: 'one actor id per line (for billing flags: customer ids)' }, (flag?.actors ?? []).join('\n'));
  const percentage = h('input', { type: 'number', name: 'percentageOfActors', min: 0, max: 100, step: 0.001, value: flag?.percentageOfActors ?? 0 });
  const save = h('button', { type: 'submit' }, flag ? 'Save' : 'Create');
  paint(
    h('p', {}, h('a', { href: '#/flags' }, '← Flags')),
    h('h2', {}, name),
    flag
      ? definitionList([
          ['Version', flag.version],
          ['Created', when(flag.createdAt)],
          ['Changed', `${when(flag.updatedAt)} by ${flag.updatedBy}`],
        ])
      : h('p', { class: 'muted' }, 'This flag does not exist yet: saving creates it with the gates below (everything else off).'),
    h(
      'form',
      { 'data-needs': 'admin',
        class: 'card',
        onsubmit: (event) => {
          event.preventDefault();
          const body = {
            enabled: enabled.checked,
            actors: actors.value.split('\n').map((a) => a.trim()).filter(Boolean),
            percentageOfActors: Number(percentage.value || 0),
            // Only if nobody changed it since this page was loaded (409 version_conflict otherwise).
            expectedVersion: flag?.version ?? 0,
          };
          void act(save, async () => {
            const saved = await api('PUT', `/v1/flags/${segment(name)}`, body);
            await render();
            notice(`Saved ${name}: version ${saved.version}.`);
          });
        },
      },
      h('h3', {}, 'Gates'),
      h('p', { class: 'muted' }, 'Evaluated in this order: the boolean gate, the actor gate, the percentage of actors (a stable hash: widening never drops anyone). Changes apply everywhere within 30 s.'),
      h('label', { class: 'check' }, enabled, ' Boolean gate: on for everyone'),
      field('Actors', actors),
      field('Percentage of actors', percentage, '0–100, up to three decimals'),
      save,
    ),
    h('h3', {}, 'History'),
    table(
      ['Version', 'Changed', 'By', 'Before', 'After'],
      history.items.map((e) => h('tr', {}, h('td', { class: 'num' }, e.version), h('td', {}, when(e.changedAt)), h('td', {}, e.operator), h('td', {}, gates(e.before)), h('td', {}, gates(e.after)))),
      { label: 'Flag history', empty: 'No changes yet.' },
    ),
  );
}

const gates = (g) => (g ? `${g.enabled ? 'on' : 'off'}; actors: ${g.actors.length ? g.actors.join(', ') : 'none'}; ${g.percentageOfActors}%` : '—');

// ---------------------------------------------------------------------------------------------
// Jobs: run one now and see its summary.

const runs = [];

async function jobsView(paint) {
  const job = h('select', { name: 'job' }, JOBS.map((j) => h('option', { value: j }, j)));
  const asOf = h('input', { type: 'date', name: 'asOf' });
  const button = h('button', { type: 'submit' }, 'Run now');
  const results = h('div', { 'aria-label': 'Job runs', 'aria-live': 'polite' });
  const paintRuns = () => results.replaceChildren(...runs.map(runSummary));
  paintRuns();
  paint(
    h('h2', {}, 'Jobs'),
    h(
      'form',
      { 'data-needs': 'admin',
        class: 'card',
        onsubmit: (event) => {
          event.preventDefault();
          void act(button, async () => {
            const started = new Date().toISOString();
            const summary = await api('POST', `/v1/jobs/${segment(job.value)}/runs`, asOf.value ? { asOf: asOf.value } : {});
            runs.unshift({ job: job.value, started, summary });
            paintRuns();
            notice(`${job.value} finished: ${summary.status ?? 'done'}.`);
          });
        },
      },
      h('p', { class: 'muted' }, 'Runs a scheduled job now, as its schedule would. Running it again for the same day repeats nothing.'),
      field('Job', job),
      field('As of (optional)', asOf, 'The day to run for (UTC); today when empty.'),
      button,
    ),
    results,
  );
}

function runSummary(run) {
  const scalars = Object.entries(run.summary).filter(([, v]) => v === null || typeof v !== 'object');
  return h(
    'article',
    { class: 'card' },
    h('h3', {}, `${run.job}: ${run.summary.status ?? 'done'}`),
    h('p', { class: 'muted' }, `Started ${when(run.started)}`),
    definitionList(scalars),
    h('details', { open: true }, h('summary', {}, 'Whole summary'), h('pre', {}, JSON.stringify(run.summary, null, 2))),
  );
}

// ---------------------------------------------------------------------------------------------
// Metrics of the answering process.

async function metricsView(paint) {
  const snapshot = await api('GET', '/v1/operator/metrics');
  const refresh = h('button', { type: 'button' }, 'Refresh');
  refresh.addEventListener('click', () => void render());
  paint(
    h('h2', {}, 'Metrics'),
    h(
      'p',
      { class: 'muted' },
      `Counters of the process that answered, since ${when(snapshot.since)} (namespace ${snapshot.namespace}). `,
      'That is one execution environment of the metrics function, in AWS and locally alike (every function runs isolated): the service\'s metrics are in the CloudWatch dashboard (named after the stack) and its alarms; locally, in each function\'s log lines (EMF).',
    ),
    table(
      ['Metric', 'Dimensions', 'Total', 'Samples', 'Last value', 'Last at'],
      snapshot.counters.map((c) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, c.name),
          h('td', {}, Object.entries(c.dimensions).map(([k, v]) => `${k}=${v}`).join(', ') || '—'),
          h('td', { class: 'num' }, c.sum),
          h('td', { class: 'num' }, c.samples),
          h('td', { class: 'num' }, c.last),
          h('td', {}, when(c.lastAt)),
        ),
      ),
      { label: 'Metrics', empty: 'Nothing counted yet.' },
    ),
    refresh,
  );
}

// ---------------------------------------------------------------------------------------------

window.addEventListener('hashchange', () => void render());
window.addEventListener('unhandledrejection', (event) => showError(event.reason));
void render();
