// The detail screen's summary of the endpoint `ctx.ep`: heading and actions, the disabled
// and failing notes, the configuration list, the counters and the chart. Each part has a
// render() that redraws it from `ctx` (after a refresh or a toggle).
import { state, alive } from './state.js';
import { t } from './i18n.js';
import { fmtDate, fmtIn, fmtInt, failText, explainFailure, disabledReasonText } from './format.js';
import { h, icon, enabledBadge, chips } from './dom.js';
import { api, enc, errorText } from './api.js';
import { buildChart } from './chart.js';

/** Title row with the status badge, the description, and the action buttons. */
export function detailHead(ctx) {
  const statusSlot = h('span', { class: 'status-slot' });
  const descEl = h('p', { class: 'muted page-intro' });
  const buttons = {
    test: h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'send-test' }, icon('send'), h('span', { class: 'btn-label', text: t('detail.test') })),
    toggle: h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'toggle-enabled' }),
    rotate: h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'rotate' }, icon('key'), h('span', { text: t('detail.rotate') })),
    delete: h('button', { type: 'button', class: 'btn btn-danger-ghost', 'data-testid': 'delete' }, icon('trash'), h('span', { text: t('detail.delete') })),
  };
  const el = h('div', { class: 'page-head detail-head' },
    h('div', { class: 'detail-title' },
      h('div', { class: 'title-row' }, h('h1', { class: 'mono-break', text: ctx.ep.url }), statusSlot),
      descEl),
    h('div', { class: 'page-actions' },
      buttons.test,
      h('a', { class: 'btn btn-secondary', href: `#/endpoints/${enc(ctx.ep.id)}/edit`, 'data-testid': 'edit' }, icon('edit'), h('span', { text: t('detail.edit') })),
      buttons.toggle, buttons.rotate, buttons.delete));
  function render() {
    const { ep } = ctx;
    statusSlot.replaceChildren(enabledBadge(ep.enabled));
    buttons.toggle.replaceChildren(icon('power'), h('span', { text: t(ep.enabled ? 'detail.disable' : 'detail.enable') }));
    descEl.textContent = ep.description || t('noDescription');
    descEl.classList.toggle('muted-i', !ep.description);
  }
  return { el, buttons, render };
}

/** Why the endpoint is disabled, or since when it fails and what the last error was. */
export function detailNotes(ctx) {
  const disabledNote = h('div', { class: 'alert alert-info', hidden: true, 'data-testid': 'disabled-note' });
  const failingNote = h('div', { class: 'alert alert-warning', hidden: true, 'data-testid': 'failing-note' });
  const lastErrorEl = h('p', { class: 'note-reason', 'data-testid': 'last-error' });
  function render() {
    const { ep } = ctx;
    const reason = disabledReasonText(ep);
    disabledNote.hidden = ep.enabled;
    disabledNote.replaceChildren(icon('power'), h('div', null, h('p', { text: t('detail.disabledNote') }), reason ? h('p', { class: 'note-reason', text: reason }) : null));
    failingNote.hidden = !(ep.enabled && ep.failing_since);
    failingNote.replaceChildren(...(ep.failing_since ? [icon('warn'), h('div', null,
      h('p', { text: t('detail.failingSince', fmtDate(ep.failing_since)) }),
      lastErrorEl,
      ep.disable_at ? h('p', { class: 'note-reason', 'data-testid': 'disable-in', text: t('detail.disableIn', fmtIn(ep.disable_at)), title: fmtDate(ep.disable_at) }) : null)] : []));
    if (ep.enabled && ep.failing_since && !lastErrorEl.textContent) showLastError(ctx, lastErrorEl);
  }
  return { els: [disabledNote, failingNote], render };
}

// The failing note names the last error: that of the newest message's last attempt.
async function showLastError(ctx, el) {
  try {
    const page = await api('GET', `${ctx.base}/messages?limit=1`);
    const m = (page.data || [])[0];
    if (!m || m.status === 'delivered' || !m.attempt_count) return;
    const atts = (await api('GET', `${ctx.base}/messages/${enc(m.message_id)}/attempts`)).data || [];
    const a = atts[atts.length - 1];
    if (!a || !alive(ctx.g)) return;
    el.textContent = `${failText(a.status_code, a.error)}. ${explainFailure(a.status_code, a.error) || ''}`;
  } catch (_) {
    /* the note stands without it */
  }
}

export function configList(ctx) {
  const el = h('dl', { class: 'dl' });
  function render() {
    const { ep } = ctx;
    const row = (k, v) => [h('dt', { text: t(k) }), h('dd', null, v)];
    el.replaceChildren(
      ...row('detail.url', h('span', { class: 'mono-break', text: ep.url })),
      ...row('detail.id', h('code', { class: 'code-inline', text: ep.id })),
      ...row('detail.types', chips(ep.event_types || [])),
      // Names only: values are often the receiver's credentials.
      ...(Object.keys(ep.headers || {}).length ? row('detail.headers', chips(Object.keys(ep.headers))) : []),
      ...row('detail.status', enabledBadge(ep.enabled)),
      ...row('detail.created', fmtDate(ep.created_at)),
      ...row('detail.updated', fmtDate(ep.updated_at)));
  }
  return { el, render };
}

const COUNTERS = [['delivered', 'col.delivered', 'ok'], ['failed_attempts', 'col.failedAttempts', 'warn'], ['failed_messages', 'col.failedMessages', 'ko'], ['in_flight', 'col.inFlight', 'info']];

export function counterBox(ctx) {
  const values = {};
  const el = h('div', { class: 'counters', role: 'group', 'aria-label': t('detail.counters') }, COUNTERS.map(([k, label, tone]) => {
    values[k] = h('span', { class: 'counter-value', 'data-counter': k });
    return h('div', { class: `counter counter-${tone}` }, values[k], h('span', { class: 'counter-label', text: t(label) }));
  }));
  function render() {
    for (const [k] of COUNTERS) {
      const v = (ctx.ep.counters || {})[k] || 0;
      values[k].textContent = fmtInt(v);
      values[k].parentElement.classList.toggle('is-zero', !v);
    }
  }
  return { el, render };
}

/** The chart of `ctx.stats` (an Error when they could not be read), redrawn at the
 *  container's width (SVG text stays readable on phones). */
export function chartPanel(ctx) {
  const box = h('div', { class: 'chart', 'data-testid': 'chart' });
  const legend = h('div', { class: 'chart-legend' });
  function render() {
    const stats = ctx.stats;
    if (stats instanceof Error) {
      box.replaceChildren(h('p', { class: 'alert alert-error', text: errorText(stats) }));
      legend.replaceChildren();
      return;
    }
    const w = Math.max(260, Math.floor(box.clientWidth || 600));
    box.replaceChildren(buildChart(stats, w));
    const ok = stats.reduce((a, b) => a + (b.delivered || 0), 0);
    const ko = stats.reduce((a, b) => a + (b.failed || 0), 0);
    legend.replaceChildren(
      h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-ok', 'aria-hidden': 'true' }), `${t('chart.ok')} `, h('strong', { text: fmtInt(ok) })),
      h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-ko', 'aria-hidden': 'true' }), `${t('chart.ko')} `, h('strong', { text: fmtInt(ko) })));
  }
  /** Redraws on resize, until the view ends. Call once the box is in the page. */
  function follow() {
    if (typeof ResizeObserver !== 'function') return;
    let lastW = box.clientWidth;
    let raf = 0;
    const ro = new ResizeObserver(() => {
      const w = box.clientWidth;
      if (Math.abs(w - lastW) < 8) return;
      lastW = w;
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(render);
    });
    ro.observe(box);
    state.cleanup.push(() => ro.disconnect());
  }
  return { box, legend, render, follow };
}
