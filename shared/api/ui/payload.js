// Payload viewer and contracts: a message's JSON with light syntax colouring (spans,
// textContent only), and an event type's fields from its JSON Schema.
import { state } from './state.js';
import { t } from './i18n.js';
import { fmtDate } from './format.js';
import { h, icon, spinner, copyText } from './dom.js';
import { api, catalog, enc, errorText, isHandled } from './api.js';
import { openDialog } from './dialogs.js';

/** The type of a schema property, as shown: `string (date)`, `number | null`. */
export const schemaType = (p) => (p.type ? [].concat(p.type).join(' | ') : (p.anyOf || []).map((x) => x.type).join(' | ')) + (p.format ? ` (${p.format})` : '');

/** The fields of a type's `event_data` from its JSON Schema: name, type, whether
 *  required, and the description in the UI's language. */
function contractFields(ty) {
  const schema = ty.schema || {};
  const req = new Set(schema.required || []);
  const rows = Object.entries(schema.properties || {}).map(([name, p]) => h('tr', null,
    h('td', { 'data-label': t('contract.fields') }, h('code', { class: 'code-inline', text: name }), req.has(name) ? h('span', { class: 'badge badge-pending contract-req', text: t('contract.required') }) : null),
    h('td', null, h('code', { class: 'contract-type', text: schemaType(p) })),
    h('td', { text: (state.lang === 'fr' && p['x-description-fr']) || p.description || '' })));
  return h('table', { class: 'table contract-table', 'data-testid': 'contract-fields' }, h('tbody', null, rows));
}

export function showContract(ty) {
  const closeBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-autofocus': true, text: t('close') });
  const dlg = openDialog({
    title: t('contract.title', ty.name),
    body: h('div', null, h('p', { class: 'muted', text: t(ty.enforce === false ? 'contract.introDoc' : 'contract.intro', ty.version || 1) }), contractFields(ty)),
    actions: [closeBtn],
    wide: true,
  });
  dlg.dataset.testid = 'contract-dialog';
  closeBtn.addEventListener('click', () => dlg.close());
}

/** The payload dialog of log entry `m`: fetched, pretty-printed, copyable. */
export async function showPayload(m) {
  const body = h('div', { class: 'payload-body' }, spinner());
  const copyBtn = h('button', { type: 'button', class: 'btn btn-secondary', disabled: true, 'data-testid': 'copy-payload' }, icon('copy'), h('span', { class: 'btn-label', text: t('payload.copy') }));
  const closeBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-autofocus': true, text: t('close') });
  const g = state.gen;
  const dlg = openDialog({ title: `${t('payload.title')} · ${m.event_type}`, body, actions: [copyBtn, closeBtn], wide: true });
  dlg.dataset.testid = 'payload-dialog';
  closeBtn.addEventListener('click', () => dlg.close());
  let msg;
  try {
    msg = await api('GET', `/v1/messages/${enc(m.message_id)}`);
  } catch (err) {
    if (isHandled(err) || g !== state.gen) return;
    body.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert', text: errorText(err) }));
    return;
  }
  const text = JSON.stringify(msg.payload, null, 2);
  const ty = (await catalog().catch(() => [])).find((x) => x.name === m.event_type);
  if (g !== state.gen) return;
  body.replaceChildren(
    h('p', { class: 'payload-meta muted' }, h('code', { class: 'code-inline', text: msg.id }), ' · ', fmtDate(msg.created_at)),
    h('pre', { class: 'json', tabindex: '0', 'aria-label': 'JSON', 'data-testid': 'payload-json' }, highlightJson(msg.payload)),
    ty && ty.schema ? h('div', { class: 'payload-fields' }, h('h3', { class: 'label', text: t('contract.fields') }), contractFields(ty)) : null);
  copyBtn.disabled = false;
  copyBtn.addEventListener('click', () => copyText(text, copyBtn));
}

/** `v` as `JSON.stringify(v, null, 2)` would write it, in pieces: plain strings, and
 *  `{ cls, text }` tokens to colour (`j-key`, `j-str`, `j-num`, `j-bool`, `j-null`). */
export function jsonTokens(v, depth = 0) {
  const pad = '  '.repeat(depth);
  const pad1 = '  '.repeat(depth + 1);
  const out = [];
  const tok = (cls, text) => ({ cls, text });
  if (v === null) out.push(tok('j-null', 'null'));
  else if (Array.isArray(v)) {
    if (!v.length) out.push('[]');
    else {
      out.push('[\n');
      v.forEach((x, i) => {
        out.push(pad1, ...jsonTokens(x, depth + 1), i < v.length - 1 ? ',\n' : '\n');
      });
      out.push(`${pad}]`);
    }
  } else if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) out.push('{}');
    else {
      out.push('{\n');
      keys.forEach((k, i) => {
        out.push(pad1, tok('j-key', JSON.stringify(k)), ': ', ...jsonTokens(v[k], depth + 1), i < keys.length - 1 ? ',\n' : '\n');
      });
      out.push(`${pad}}`);
    }
  } else if (typeof v === 'string') out.push(tok('j-str', JSON.stringify(v)));
  else if (typeof v === 'number') out.push(tok('j-num', String(v)));
  else if (typeof v === 'boolean') out.push(tok('j-bool', String(v)));
  return out;
}

const highlightJson = (v) => jsonTokens(v).map((x) => (typeof x === 'string' ? document.createTextNode(x) : h('span', { class: x.cls, text: x.text })));
