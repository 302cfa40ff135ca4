// Finding messages: an event by its id (each endpoint's delivery), and the recent failures
// across endpoints with "replay all shown".
import { alive } from './state.js';
import { t } from './i18n.js';
import { fmtDate, fmtIn, fmtInt, failText, explainFailure } from './format.js';
import { h, icon, spinner, badge, root, setTitle } from './dom.js';
import { api, enc, ApiError, isHandled, recoverAll } from './api.js';
import { rerender } from './router.js';
import { breadcrumb, focusHeading, showError } from './page.js';
import { searchForm } from './list.js';

/** An event found by its `event_id`: each endpoint's delivery of it, with a link into its log. */
export async function viewSearch(route, g, moveFocus) {
  setTitle(t('search.title', route.id));
  const body = h('div', { 'aria-busy': 'true' }, spinner());
  root().replaceChildren(breadcrumb([{ text: t('search.title', route.id) }]), h('h1', { text: t('search.title', route.id) }), searchForm(), body);
  focusHeading(moveFocus);
  let ev;
  try {
    ev = await api('GET', `/v1/messages?event_id=${encodeURIComponent(route.id)}`);
  } catch (err) {
    if (!alive(g) || isHandled(err)) return;
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
      body.removeAttribute('aria-busy');
      body.replaceChildren(h('p', { class: 'panel state', 'data-testid': 'search-none', role: 'status', text: t('search.notFound') }));
      return;
    }
    return showError(err, g, { retry: () => rerender() });
  }
  if (!alive(g)) return;
  body.removeAttribute('aria-busy');
  if (!ev.fan_out) {
    body.replaceChildren(h('p', { class: 'panel state', 'data-testid': 'search-unsubscribed', role: 'status', text: t('search.noSubscriber', ev.event_type) }));
    return;
  }
  const rows = ev.deliveries.map((d) => h('tr', { 'data-endpoint-id': d.endpoint_id },
    h('td', { 'data-label': t('failed.col.endpoint') }, d.url
      ? h('a', { href: `#/endpoints/${enc(d.endpoint_id)}?msg=${enc(ev.message_id)}`, text: d.url, title: t('search.open') })
      : h('span', { class: 'muted-i', text: t('search.deleted') })),
    h('td', { 'data-label': t('col.status') }, d.status === 'queued' ? h('span', { class: 'badge badge-pending', text: t('search.queued') }) : badge(d.status)),
    h('td', { class: 'num', 'data-label': t('failed.col.attempts') }, fmtInt(d.attempt_count)),
    h('td', { 'data-label': t('failed.col.last') },
      d.attempt_count ? failText(d.last_status_code, d.status === 'delivered' ? null : d.last_error) : '—',
      d.status !== 'delivered' && d.attempt_count ? h('p', { class: 'att-why', text: explainFailure(d.last_status_code, d.last_error) || '' }) : null,
      d.status === 'pending' && d.next_attempt_at ? h('span', { class: 'hint', text: ` · ${t('log.next', fmtIn(d.next_attempt_at))}` }) : null)));
  body.replaceChildren(
    h('p', { class: 'muted', text: t('search.summary', ev.event_type, fmtDate(ev.created_at), ev.fan_out) }),
    h('div', { class: 'panel table-panel' },
      h('table', { class: 'table', 'data-testid': 'search-result' },
        h('thead', null, h('tr', null, ['failed.col.endpoint', 'col.status', 'failed.col.attempts', 'failed.col.last'].map((k) => h('th', { scope: 'col', text: t(k) })))),
        h('tbody', null, rows))));
}

/** The failed messages of the last 7 days, across endpoints, newest first. */
export async function viewFailed(route, g, moveFocus) {
  setTitle(t('failed.title'));
  const since = new Date(Date.now() - 7 * 86400e3).toISOString();
  const status = h('p', { class: 'alert alert-ok', role: 'status', hidden: true });
  const replayAll = h('button', { type: 'button', class: 'btn btn-warning', 'data-testid': 'replay-all', hidden: true }, icon('replay'), h('span', { text: t('failed.replayAll') }));
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true, text: t('failed.more') });
  const body = h('div', { 'aria-busy': 'true' }, spinner());
  root().replaceChildren(breadcrumb([{ text: t('failed.title') }]),
    h('div', { class: 'page-head' },
      h('div', null, h('h1', { text: t('failed.title') }), h('p', { class: 'muted page-intro', text: t('failed.intro') })),
      h('div', { class: 'page-actions' }, replayAll)),
    status, body);
  focusHeading(moveFocus);
  const shown = [];
  let cursor = null;
  async function load() {
    let page;
    try {
      page = await api('GET', `/v1/messages?status=failed&since=${encodeURIComponent(since)}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    } catch (err) {
      return showError(err, g, { retry: () => rerender() });
    }
    if (!alive(g)) return;
    for (const f of page.data || []) {
      shown.push(f);
      tbody.append(h('tr', { 'data-message-id': f.message_id },
        h('td', { 'data-label': t('failed.col.message') },
          h('a', { href: `#/endpoints/${enc(f.endpoint_id)}?msg=${enc(f.message_id)}`, text: f.event_type }),
          h('span', { class: 'endpoint-desc', text: fmtDate(f.created_at) })),
        h('td', { 'data-label': t('failed.col.endpoint') }, h('a', { href: `#/endpoints/${enc(f.endpoint_id)}`, text: f.url })),
        h('td', { class: 'num', 'data-label': t('failed.col.attempts') }, fmtInt(f.attempt_count)),
        h('td', { 'data-label': t('failed.col.last') }, fmtDate(f.last_attempt_at))));
    }
    cursor = page.next_cursor || null;
    more.hidden = !cursor;
    replayAll.hidden = shown.length === 0;
    body.removeAttribute('aria-busy');
    body.replaceChildren(shown.length
      ? h('div', null,
        h('div', { class: 'panel table-panel' },
          h('table', { class: 'table', 'data-testid': 'failed-list' },
            h('thead', null, h('tr', null, ['failed.col.message', 'failed.col.endpoint', 'failed.col.attempts', 'failed.col.last'].map((k) => h('th', { scope: 'col', text: t(k) })))),
            tbody)),
        h('div', { class: 'form-actions' }, more))
      : h('p', { class: 'panel state', 'data-testid': 'failed-none', text: t('failed.none') }));
  }
  more.addEventListener('click', load);
  // The existing recovery, per endpoint, since the oldest message shown there.
  replayAll.addEventListener('click', async () => {
    replayAll.disabled = true;
    const oldest = new Map();
    for (const f of shown) {
      const o = oldest.get(f.endpoint_id);
      if (!o || f.created_at < o) oldest.set(f.endpoint_id, f.created_at);
    }
    let n = 0;
    try {
      for (const [ep, from] of oldest) n += await recoverAll(ep, from, g);
    } catch (err) {
      replayAll.disabled = false;
      return showError(err, g);
    }
    if (!alive(g)) return;
    status.textContent = t('failed.replayed', n);
    status.hidden = false;
    replayAll.hidden = true;
  });
  await load();
}
