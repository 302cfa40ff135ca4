// List screen: the endpoints with their counters, the event search box, the empty state.
import { state, alive } from './state.js';
import { t } from './i18n.js';
import { fmtDate, fmtInt } from './format.js';
import { h, s, icon, spinner, enabledBadge, chips, nextId, root, setTitle } from './dom.js';
import { api, catalog, enc } from './api.js';
import { go, rerender } from './router.js';
import { focusHeading, showError } from './page.js';

export async function viewList(route, g, moveFocus) {
  setTitle(t('list.title'));
  const addBtn = h('a', { class: 'btn btn-primary', href: '#/endpoints/new' }, icon('plus'), h('span', { text: t('list.add') }));
  const head = h('div', { class: 'page-head' },
    h('div', null, h('h1', { text: t('list.title') }), h('p', { class: 'muted page-intro', text: t('list.intro') })),
    h('div', { class: 'page-actions', id: 'list-actions' }));
  const body = h('div', { 'aria-busy': 'true' }, spinner());
  root().replaceChildren(head, searchForm(), body);
  focusHeading(moveFocus);
  let eps;
  try {
    const [r, c] = await Promise.all([api('GET', '/v1/endpoints'), catalog().catch(() => [])]);
    eps = r.data || [];
    state.catalogList = c;
  } catch (err) {
    return showError(err, g, { retry: () => rerender() });
  }
  if (!alive(g)) return;
  body.removeAttribute('aria-busy');
  if (eps.length === 0) {
    body.replaceChildren(h('section', { class: 'panel empty', 'data-testid': 'empty-state' },
      h('div', { class: 'empty-art', 'aria-hidden': 'true' }, emptyArt()),
      h('h2', { class: 'empty-title', text: t('empty.title') }),
      h('p', { class: 'empty-text', text: t('empty.body') }),
      h('a', { class: 'btn btn-primary btn-large', href: '#/endpoints/new' }, icon('plus'), h('span', { text: t('empty.cta') }))));
    return;
  }
  document.getElementById('list-actions').append(
    h('a', { class: 'btn btn-secondary', href: '#/notifications', 'data-testid': 'notifications-link' }, h('span', { text: t('nav.notifications') })),
    h('a', { class: 'btn btn-secondary', href: '#/failed', 'data-testid': 'recent-failures' }, h('span', { text: t('failed.link') })), addBtn);
  const rows = eps.map((ep) => {
    const c = ep.counters || {};
    const num = (key, val, cls) => h('td', { class: `num ${cls || ''} ${val ? '' : 'is-zero'}`, 'data-label': t(key) }, h('span', { class: 'num-val', text: fmtInt(val) }));
    return h('tr', { 'data-endpoint-id': ep.id },
      h('td', { class: 'cell-endpoint', 'data-label': t('col.endpoint') },
        h('a', { class: 'endpoint-link', href: `#/endpoints/${enc(ep.id)}`, text: ep.url }),
        h('span', { class: `endpoint-desc ${ep.description ? '' : 'muted-i'}`, text: ep.description || t('noDescription') })),
      h('td', { 'data-label': t('col.types') }, chips(ep.event_types || [], 3)),
      h('td', { 'data-label': t('col.status') }, enabledBadge(ep.enabled, ep),
        ep.failing ? h('span', { class: 'badge badge-failed', 'data-testid': 'failing-badge', title: t('status.failingTitle', fmtDate(ep.failing_since)), text: t('status.failing') }) : null),
      num('col.delivered', c.delivered, 'num-ok'),
      num('col.failedAttempts', c.failed_attempts, 'num-warn'),
      num('col.failedMessages', c.failed_messages, 'num-ko'),
      num('col.inFlight', c.in_flight, 'num-info'));
  });
  const th = (key, cls) => h('th', { scope: 'col', class: cls || null, text: t(key) });
  body.replaceChildren(
    h('div', { class: 'panel table-panel' },
      h('table', { class: 'table endpoints-table' },
        h('caption', { class: 'visually-hidden', text: t('list.count', eps.length) }),
        h('thead', null, h('tr', null, th('col.endpoint'), th('col.types'), th('col.status'), th('col.delivered', 'num'), th('col.failedAttempts', 'num'), th('col.failedMessages', 'num'), th('col.inFlight', 'num'))),
        h('tbody', null, rows))),
    h('p', { class: 'muted table-foot', text: t('list.count', eps.length) }));
}

/** The list screen's "where is my event?" box. */
export function searchForm() {
  const inputId = nextId('search');
  const input = h('input', { id: inputId, name: 'event_id', type: 'search', class: 'input input-mono', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${inputId}-hint`, maxlength: 255 });
  const form = h('form', { class: 'panel search-panel', role: 'search', 'data-testid': 'event-search' },
    h('label', { for: inputId, class: 'label', text: t('search.label') }),
    h('div', { class: 'search-row' }, input, h('button', { type: 'submit', class: 'btn btn-secondary', text: t('search.submit') })),
    h('p', { id: `${inputId}-hint`, class: 'hint', text: t('search.hint') }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (v) go(`#/search?event_id=${encodeURIComponent(v)}`);
    else input.focus();
  });
  return form;
}

function emptyArt() {
  return s('svg', { viewBox: '0 0 120 80', class: 'empty-svg' },
    s('rect', { x: 8, y: 22, width: 40, height: 36, rx: 6, class: 'ea-box' }),
    s('rect', { x: 72, y: 22, width: 40, height: 36, rx: 6, class: 'ea-box ea-box2' }),
    s('path', { d: 'M48 40h24', class: 'ea-line' }),
    s('path', { d: 'M66 35l6 5-6 5', class: 'ea-line' }),
    s('circle', { cx: 28, cy: 40, r: 7, class: 'ea-dot' }),
    s('path', { d: 'M84 36h16M84 44h10', class: 'ea-text' }));
}
