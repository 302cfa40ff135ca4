// A log row's attempts panel: the message id, the next attempt, and each attempt's result,
// with the last failure explained and replayed series marked.
import { alive } from './state.js';
import { t } from './i18n.js';
import { fmtDate, fmtIn, fmtDuration, failureText, explainFailure } from './format.js';
import { h, icon, spinner } from './dom.js';
import { api, enc, errorText, isHandled } from './api.js';

/** Fetches and shows the attempts of `row.data` in `row.panel`. */
export async function loadAttempts(ctx, row, showSpinner) {
  const m = row.data;
  if (showSpinner && !row.panel.firstChild) row.panel.replaceChildren(spinner());
  let attempts;
  try {
    attempts = (await api('GET', `${ctx.base}/messages/${enc(m.message_id)}/attempts`)).data || [];
  } catch (err) {
    if (isHandled(err) || !alive(ctx.g)) return;
    row.panel.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert', text: errorText(err) }));
    return;
  }
  if (!alive(ctx.g)) return;
  const cur = row.data;
  const meta = h('p', { class: 'attempts-meta' },
    h('span', null, `${t('log.messageId')} `, h('code', { class: 'code-inline', text: cur.message_id })),
    cur.status === 'pending' && cur.next_attempt_at
      ? h('span', { text: t('log.next', fmtIn(cur.next_attempt_at)), title: fmtDate(cur.next_attempt_at) })
      : null);
  if (!attempts.length) {
    row.panel.replaceChildren(meta, h('p', { class: 'muted', text: t('att.none') }));
    return;
  }
  row.panel.replaceChildren(meta, attemptsTable(attempts, cur.series_start));
}

function attemptsTable(attempts, seriesStart) {
  const lastNumber = attempts[attempts.length - 1].number;
  const th = (k, cls) => h('th', { scope: 'col', class: cls || null, text: t(k) });
  const rows = attempts.map((a) => (seriesStart && a.number === seriesStart + 1
    ? [h('tr', { class: 'series-sep' }, h('td', { colspan: 5 }, icon('replay'), h('span', { text: t('att.series') }))), attemptRow(a, lastNumber)]
    : attemptRow(a, lastNumber)));
  return h('div', { class: 'table-scroll' },
    h('table', { class: 'table table-compact attempts-table' },
      h('caption', { class: 'visually-hidden', text: t('att.caption') }),
      h('thead', null, h('tr', null, th('att.number', 'num'), th('att.date'), th('att.result'), th('att.duration', 'num'), th('att.response'))),
      h('tbody', null, rows)));
}

function attemptRow(a, lastNumber) {
  const ok = a.status_code != null && a.status_code >= 200 && a.status_code < 300;
  const result = h('span', { class: 'att-result' },
    a.status_code != null ? h('span', { class: `http ${ok ? 'http-ok' : 'http-ko'}`, text: `HTTP ${a.status_code}` }) : null,
    a.error && !(a.error === 'http_status' && a.status_code != null) ? h('span', { class: 'att-error', title: a.error, text: failureText(a.error) }) : null);
  const why = !ok && a.number === lastNumber ? explainFailure(a.status_code, a.error) : null;
  return h('tr', { 'data-attempt': a.number },
    h('td', { class: 'num', 'data-label': t('att.number'), text: String(a.number) }),
    h('td', { 'data-label': t('att.date'), text: fmtDate(a.started_at) }),
    h('td', { 'data-label': t('att.result') }, result, why ? h('p', { class: 'att-why', 'data-testid': 'failure-explained', text: why }) : null),
    h('td', { class: 'num', 'data-label': t('att.duration'), text: fmtDuration(a.duration_ms) }),
    h('td', { class: 'cell-excerpt', 'data-label': t('att.response') }, a.response_excerpt ? h('code', { class: 'excerpt', text: a.response_excerpt }) : h('span', { class: 'muted', text: '—' })));
}
