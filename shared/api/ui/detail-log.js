// The detail screen's delivery log: a status filter, message rows (expandable to their
// attempts), paging with next_cursor, in-place merging of a refresh, and replay.
import { alive, PAGE_SIZE } from './state.js';
import { t } from './i18n.js';
import { fmtDate } from './format.js';
import { h, icon, spinner, badge, nextId, toast } from './dom.js';
import { api, enc, errorText, isHandled } from './api.js';
import { showPayload } from './payload.js';
import { loadAttempts } from './attempts.js';

/** The log's state and elements; `recoverEl` sits under its heading. */
export function deliveryLog(ctx, recoverEl) {
  const filterId = nextId('filter');
  const log = {
    ctx,
    filter: '', // the status shown, '' for all
    items: new Map(), // message id → row
    cursor: null,
    expanded: new Set(), // message ids whose attempts are open
    loadedOnce: false,
    filterSel: h('select', { id: filterId, class: 'input select', 'data-testid': 'status-filter' },
      h('option', { value: '', text: t('log.all') }),
      ['pending', 'delivered', 'failed'].map((st) => h('option', { value: st, text: t(`msg.${st}`) }))),
    refreshBtn: h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'refresh' }, icon('refresh'), h('span', { text: t('log.refresh') })),
    liveDot: h('span', { class: 'live', hidden: true }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), t('log.live')),
    list: h('ul', { class: 'log', 'data-testid': 'log' }),
    stateEl: h('div', { class: 'log-state' }),
    moreBtn: h('button', { type: 'button', class: 'btn btn-secondary', hidden: true, 'data-testid': 'load-more', text: t('log.more') }),
    errorEl: h('p', { class: 'alert alert-error', role: 'alert', hidden: true }),
  };
  log.el = h('section', { class: 'panel log-panel', 'aria-labelledby': 'log-title' },
    h('div', { class: 'log-head' },
      h('h2', { id: 'log-title', class: 'panel-title', text: t('log.title') }),
      h('div', { class: 'log-tools' },
        log.liveDot,
        h('span', { class: 'filter-group' }, h('label', { for: filterId, class: 'label-inline', text: t('log.filter') }), log.filterSel),
        log.refreshBtn)),
    recoverEl,
    log.errorEl,
    log.list,
    log.stateEl,
    h('div', { class: 'log-more' }, log.moreBtn));
  return log;
}

function rowFor(log, m) {
  const mid = m.message_id;
  const panelId = nextId('attempts');
  const toggle = h('button', { type: 'button', class: 'log-toggle', 'aria-expanded': 'false', 'aria-controls': panelId, 'data-testid': 'toggle-attempts' },
    h('span', { class: 'chev', 'aria-hidden': 'true' }, icon('chevron')),
    h('span', { class: 'log-main' },
      h('span', { class: 'log-type', 'data-role': 'type' }),
      h('span', { class: 'log-date', 'data-role': 'date' })));
  const statusCell = h('span', { class: 'log-status', 'data-role': 'status' });
  const countCell = h('span', { class: 'log-count', 'data-role': 'count' });
  const payloadBtn = h('button', { type: 'button', class: 'btn btn-small btn-secondary', 'data-testid': 'view-payload' }, icon('code'), h('span', { text: t('log.payload') }));
  const replayBtn = h('button', { type: 'button', class: 'btn btn-small btn-warning', 'data-testid': 'replay', hidden: true }, icon('replay'), h('span', { text: t('log.replay') }));
  const panel = h('div', { id: panelId, class: 'attempts', hidden: true });
  const li = h('li', { class: 'log-item', 'data-message-id': mid },
    h('div', { class: 'log-row' }, toggle, h('span', { class: 'log-meta' }, statusCell, countCell), h('span', { class: 'log-actions' }, payloadBtn, replayBtn)),
    panel);
  const row = { li, toggle, statusCell, countCell, payloadBtn, replayBtn, panel, data: null };
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    li.classList.toggle('is-open', open);
    panel.hidden = !open;
    if (open) {
      log.expanded.add(mid);
      loadAttempts(log.ctx, row, true);
    } else log.expanded.delete(mid);
  });
  payloadBtn.addEventListener('click', () => showPayload(row.data));
  replayBtn.addEventListener('click', () => replay(log, row));
  updateRow(log, row, m);
  return row;
}

function updateRow(log, row, m) {
  const prev = row.data;
  row.data = m;
  row.li.dataset.status = m.status;
  row.toggle.querySelector('[data-role=type]').textContent = m.event_type;
  const date = fmtDate(m.created_at);
  row.toggle.querySelector('[data-role=date]').textContent = date;
  row.toggle.setAttribute('aria-label', t('log.details', m.event_type, date));
  row.statusCell.replaceChildren(badge(m.status));
  row.countCell.replaceChildren(t('log.attempts', m.attempt_count || 0), ...(m.series_start ? [' ', h('span', { class: 'tag', text: t('log.replayedTag') })] : []));
  row.payloadBtn.setAttribute('aria-label', t('log.payloadOf', m.event_type));
  row.replayBtn.setAttribute('aria-label', t('log.replayOf', m.event_type));
  const wasHidden = row.replayBtn.hidden;
  row.replayBtn.hidden = m.status !== 'failed';
  if (!wasHidden && row.replayBtn.hidden && document.activeElement === row.replayBtn) row.toggle.focus();
  if (log.expanded.has(m.message_id) && prev && (prev.status !== m.status || prev.attempt_count !== m.attempt_count || prev.next_attempt_at !== m.next_attempt_at)) {
    loadAttempts(log.ctx, row, false);
  }
}

/** Redraws the empty state, "load more" and the live dot; true while something is in flight. */
export function renderLogState(log) {
  const empty = log.items.size === 0;
  log.stateEl.replaceChildren(...(empty && log.loadedOnce ? [h('p', { class: 'log-empty', text: t(log.filter ? 'log.emptyFiltered' : 'log.empty') })] : []));
  log.moreBtn.hidden = !log.cursor;
  const hasPending = [...log.items.values()].some((r) => r.data.status === 'pending') || ((log.ctx.ep.counters || {}).in_flight || 0) > 0;
  log.liveDot.hidden = !hasPending;
  return hasPending;
}

export function logQuery(log, cursor, limit) {
  const q = new URLSearchParams();
  if (log.filter) q.set('status', log.filter);
  if (cursor) q.set('cursor', cursor);
  q.set('limit', String(limit || PAGE_SIZE));
  return `${log.ctx.base}/messages?${q}`;
}

export function showLogError(log, err) {
  log.errorEl.textContent = errorText(err);
  log.errorEl.hidden = false;
}

function append(log, m) {
  const r = rowFor(log, m);
  log.items.set(m.message_id, r);
  log.list.append(r.li);
  return r;
}

/** A fresh first page (filter changed or first load). */
export async function loadFirstPage(log) {
  const { g, route } = log.ctx;
  const myFilter = log.filter;
  log.stateEl.replaceChildren(spinner());
  log.list.setAttribute('aria-busy', 'true');
  let page;
  try {
    page = await api('GET', logQuery(log, null));
  } catch (err) {
    if (isHandled(err) || !alive(g)) return;
    log.list.removeAttribute('aria-busy');
    log.stateEl.replaceChildren();
    showLogError(log, err);
    return;
  }
  if (!alive(g) || myFilter !== log.filter) return;
  log.errorEl.hidden = true;
  log.list.removeAttribute('aria-busy');
  log.items.clear();
  log.expanded.clear();
  log.list.replaceChildren();
  for (const m of page.data || []) append(log, m);
  log.cursor = page.next_cursor || null;
  log.loadedOnce = true;
  renderLogState(log);
  // Opened from a search or the failures list: that message expanded.
  const wanted = route.msg && log.items.get(route.msg);
  if (wanted && !log.expanded.has(route.msg)) {
    wanted.toggle.click();
    wanted.li.scrollIntoView({ block: 'center' });
  }
}

export async function loadMore(log) {
  const { g } = log.ctx;
  if (!log.cursor) return;
  log.moreBtn.disabled = true;
  const myFilter = log.filter;
  let page;
  try {
    page = await api('GET', logQuery(log, log.cursor));
  } catch (err) {
    log.moreBtn.disabled = false;
    if (isHandled(err) || !alive(g)) return;
    toast(errorText(err), 'error');
    return;
  }
  log.moreBtn.disabled = false;
  if (!alive(g) || myFilter !== log.filter) return;
  let firstNew = null;
  for (const m of page.data || []) {
    if (log.items.has(m.message_id)) updateRow(log, log.items.get(m.message_id), m);
    else {
      const r = append(log, m);
      if (!firstNew) firstNew = r;
    }
  }
  log.cursor = page.next_cursor || null;
  renderLogState(log);
  // Keep keyboard users in place: focus the first newly loaded message.
  if (firstNew && (document.activeElement === log.moreBtn || log.moreBtn.hidden)) firstNew.toggle.focus();
}

/** Merges a re-read of the first `loaded` messages into the rows: updated in place, new
 *  ones inserted at their position (existing nodes never move, so keyboard focus stays). */
export function mergePage(log, page, loaded) {
  log.errorEl.hidden = true;
  const data = page.data || [];
  let prevLi = null;
  for (const m of data) {
    const r = log.items.get(m.message_id);
    if (r) {
      updateRow(log, r, m);
      prevLi = r.li;
    } else {
      const nr = rowFor(log, m);
      log.items.set(m.message_id, nr);
      log.list.insertBefore(nr.li, prevLi ? prevLi.nextSibling : log.list.firstChild);
      prevLi = nr.li;
    }
  }
  dropGone(log, page);
  if (loaded <= 100) log.cursor = page.next_cursor || null;
  renderLogState(log);
}

// Rows that left the filter (e.g. a failed message replayed under "failed") go away, but
// only inside the range just re-read.
function dropGone(log, page) {
  const data = page.data || [];
  const seen = new Set(data.map((m) => m.message_id));
  const lastId = page.next_cursor && data.length ? data[data.length - 1].message_id : null;
  for (const li of [...log.list.children]) {
    const mid = li.dataset.messageId;
    if (!seen.has(mid)) {
      if (li.contains(document.activeElement)) log.refreshBtn.focus();
      li.remove();
      log.items.delete(mid);
      log.expanded.delete(mid);
    }
    if (mid === lastId) break;
  }
}

/** Puts a failed message back in delivery, shown pending at once (the refresh confirms). */
async function replay(log, row) {
  const { g, base } = log.ctx;
  const m = row.data;
  row.replayBtn.disabled = true;
  try {
    await api('POST', `${base}/messages/${enc(m.message_id)}/replay`);
  } catch (err) {
    row.replayBtn.disabled = false;
    if (isHandled(err) || !alive(g)) return;
    toast(errorText(err), 'error');
    return;
  }
  row.replayBtn.disabled = false;
  if (!alive(g)) return;
  updateRow(log, row, { ...m, status: 'pending' });
  toast(t('toast.replayed'));
  log.ctx.kick();
}
