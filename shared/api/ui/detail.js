// Detail screen of one endpoint: loads it, lays out its parts (summary, chart, log,
// actions) around one context object, and keeps them fresh by polling.
import { state, alive, PAGE_SIZE } from './state.js';
import { h, spinner, root, setTitle } from './dom.js';
import { api, catalog, enc, isHandled } from './api.js';
import { rerender } from './router.js';
import { breadcrumb, focusHeading, showError } from './page.js';
import { t } from './i18n.js';
import { detailHead, detailNotes, configList, counterBox, chartPanel } from './detail-summary.js';
import { deliveryLog, loadFirstPage, loadMore, logQuery, mergePage, renderLogState, showLogError } from './detail-log.js';
import { wireActions, recoverBox } from './detail-actions.js';

const stats = (base) => api('GET', `${base}/stats?hours=24`).then((r) => r.data || []).catch((e) => e);

export async function viewDetail(route, g, moveFocus) {
  setTitle(route.id);
  root().replaceChildren(breadcrumb([{ text: route.id }]), spinner());
  const base = `/v1/endpoints/${enc(route.id)}`;
  let ep;
  let st;
  try {
    [ep, st] = await Promise.all([
      api('GET', base),
      stats(base),
      catalog().then((c) => {
        state.catalogList = c;
      }).catch(() => {}),
    ]);
  } catch (err) {
    return showError(err, g, { what: 'endpoint', retry: rerender });
  }
  if (!alive(g)) return;
  setTitle(ep.url);
  // What every part reads: `ep` and `stats` are replaced by each refresh; `kick` is set below.
  const ctx = { g, route, ep, stats: st, base: `/v1/endpoints/${enc(ep.id)}`, kick: () => {} };
  const parts = layout(ctx);
  parts.show();
  root().replaceChildren(parts.el);
  parts.chart.render();
  parts.chart.follow();
  focusHeading(moveFocus);

  const poll = polling(g, () => refresh(ctx, parts), () => renderLogState(parts.log));
  ctx.kick = poll.kick;
  wireActions(ctx, parts.head.buttons, parts.show);
  const { log } = parts;
  log.filterSel.addEventListener('change', async () => {
    log.filter = log.filterSel.value;
    await loadFirstPage(log);
    if (alive(g)) poll.schedule(renderLogState(log));
  });
  log.refreshBtn.addEventListener('click', async () => {
    log.refreshBtn.disabled = true;
    await poll.kick();
    log.refreshBtn.disabled = false;
  });
  log.moreBtn.addEventListener('click', () => loadMore(log));

  await loadFirstPage(log);
  if (alive(g)) poll.schedule(renderLogState(log));
}

function layout(ctx) {
  const head = detailHead(ctx);
  const notes = detailNotes(ctx);
  const config = configList(ctx);
  const counters = counterBox(ctx);
  const chart = chartPanel(ctx);
  const log = deliveryLog(ctx, recoverBox(ctx));
  const el = h('div', { class: 'detail' },
    breadcrumb([{ text: ctx.ep.url }]),
    head.el,
    notes.els,
    counters.el,
    h('div', { class: 'detail-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'cfg-title' },
        h('h2', { id: 'cfg-title', class: 'panel-title', text: t('detail.config') }), config.el),
      h('section', { class: 'panel', 'aria-labelledby': 'chart-title' },
        h('h2', { id: 'chart-title', class: 'panel-title', text: t('chart.title') }), chart.box, chart.legend)),
    log.el);
  /** Redraws what depends on `ctx.ep`. */
  const show = () => {
    head.render();
    notes.render();
    config.render();
    counters.render();
  };
  return { el, head, chart, log, show };
}

// Re-reads the loaded range of the log, the endpoint and its stats, and updates in place.
async function refresh(ctx, parts) {
  const { log } = parts;
  const myFilter = log.filter;
  const loaded = log.items.size;
  const limit = Math.min(100, Math.max(PAGE_SIZE, loaded));
  let page;
  let fresh;
  let st;
  try {
    [page, fresh, st] = await Promise.all([api('GET', logQuery(log, null, limit)), api('GET', ctx.base), stats(ctx.base)]);
  } catch (err) {
    if (isHandled(err) || !alive(ctx.g)) return;
    if (err.status === 404) return showError(err, ctx.g, { what: 'endpoint' });
    showLogError(log, err);
    return;
  }
  if (!alive(ctx.g) || myFilter !== log.filter) return;
  ctx.ep = fresh;
  parts.show();
  ctx.stats = st;
  parts.chart.render();
  mergePage(log, page, loaded);
}

// Polling: every 2 s while something is in flight or just after an action, every 5 s
// otherwise; paused while the tab is hidden.
function polling(g, refresh, busy) {
  let timer = 0;
  let stopped = false;
  let fastUntil = 0;
  function schedule(fast) {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(tick, fast || Date.now() < fastUntil ? 2000 : 5000);
  }
  async function tick() {
    if (stopped || !alive(g)) return;
    if (document.hidden) return schedule(false);
    await refresh();
    if (alive(g)) schedule(busy());
  }
  const onVisible = () => {
    if (!document.hidden) schedule(true);
  };
  document.addEventListener('visibilitychange', onVisible);
  state.cleanup.push(() => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  });
  /** Refreshes now and polls fast for 10 s (after an action). */
  async function kick() {
    clearTimeout(timer);
    fastUntil = Date.now() + 10000;
    await refresh();
    if (alive(g)) schedule(true);
  }
  return { schedule, kick };
}
