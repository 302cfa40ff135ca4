// DOM helpers and small shared widgets: h()/s() element builders (textContent only, never
// innerHTML: the CSP and server data), icons, badges, chips, the title, toasts, copying.
import { t } from './i18n.js';
import { disabledReasonText, typeDescription } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an element. `attrs`: `class`, `text`, `on<event>` handlers, boolean attributes
 * (true/false), others as strings. Children: nodes, strings, arrays, null (skipped).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyAttrs(el, attrs);
  appendAll(el, children);
  return el;
}

function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style') throw new Error('style attributes are blocked by the CSP');
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function appendAll(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** The page's main region, where views render. */
export const root = () => document.getElementById('app');
let uid = 0;
export const nextId = (p) => `${p}-${++uid}`;

export function spinner(label) {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', label || t('loading'));
}

export function icon(name) {
  const paths = {
    plus: 'M12 5v14M5 12h14',
    copy: 'M9 9h10v10H9zM5 15V5h10',
    back: 'M15 18l-6-6 6-6',
    chevron: 'M9 6l6 6-6 6',
    refresh: 'M20 11a8 8 0 10-2.3 5.7M20 4v7h-7',
    send: 'M4 12l16-8-6 16-2.5-6.5z',
    key: 'M14 10a4 4 0 11-1.2-2.8L21 7v3h-2v2h-2v2l-3-1.3',
    edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
    trash: 'M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13',
    replay: 'M4 4v6h6M4.6 15a8 8 0 101.8-8.4L4 10',
    code: 'M8 8l-4 4 4 4M16 8l4 4-4 4',
    power: 'M12 3v8M7 6.3a7 7 0 1010 0',
    warn: 'M12 3l10 18H2zM12 10v5M12 18v.5',
    hook: 'M9 7a3 3 0 116 0c0 2-3 3-3 5M12 16v1M6 20h12',
    logout: 'M14 4h5v16h-5M10 8l-4 4 4 4M6 12h10',
    lock: 'M6 11h12v9H6zM9 11V8a3 3 0 016 0v3M12 15v2',
  };
  return s('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    s('path', { d: paths[name] || '' }));
}

export function badge(status) {
  return h('span', { class: `badge badge-${status}`, text: t(`msg.${status}`) });
}

/** Enabled/disabled badge; with `ep`, a disabled one says why in its title. */
export function enabledBadge(enabled, ep) {
  const reason = !enabled && ep ? disabledReasonText(ep) : '';
  return h('span', { class: `badge ${enabled ? 'badge-enabled' : 'badge-disabled'}`, title: reason || null, text: t(enabled ? 'status.enabled' : 'status.disabled') });
}

export function chips(types, max) {
  const shown = max && types.length > max + 1 ? types.slice(0, max) : types;
  const ul = h('ul', { class: 'chips' }, shown.map((ty) => h('li', { class: 'chip', text: ty, title: typeDescription(ty) || null })));
  if (shown.length < types.length) {
    const rest = types.slice(shown.length);
    ul.append(h('li', { class: 'chip chip-more', text: t('moreTypes', rest.length), title: rest.join(', ') }));
  }
  return ul;
}

export function setTitle(part) {
  document.title = part ? `${part} · ${t('app.title')}` : t('app.title');
}

// Toasts: short confirmations in a polite live region.
export function toast(message, kind) {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast ${kind === 'error' ? 'toast-error' : ''}`, text: message });
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.classList.add('toast-out'), 4500);
  setTimeout(() => el.remove(), 5000);
}

export async function copyText(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch (_) {
    // Fallback for browsers without the async clipboard (or without permission).
    const ta = h('textarea', { class: 'visually-hidden', readonly: true });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    try {
      ok = document.execCommand('copy');
    } catch (_) {
      ok = false;
    }
    ta.remove();
  }
  if (button) {
    const label = button.querySelector('.btn-label') || button;
    const before = label.textContent;
    label.textContent = ok ? t('copied') : before;
    button.classList.toggle('is-copied', ok);
    if (ok) {
      setTimeout(() => {
        if (label.isConnected) label.textContent = before;
        button.classList.remove('is-copied');
      }, 2000);
    }
  }
  if (!ok) toast(t('copyFailed'), 'error');
  return ok;
}
