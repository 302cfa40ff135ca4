// The detail screen's chart: delivered vs failed attempts per hour, grouped SVG bars drawn
// at the container's pixel width.
import { t } from './i18n.js';
import { fmtInt } from './format.js';
import { s } from './dom.js';

export function buildChart(buckets, width) {
  const H = 180;
  const m = { top: 12, right: 8, bottom: 26, left: 34 };
  const pw = width - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const maxV = Math.max(0, ...buckets.map((b) => Math.max(b.delivered || 0, b.failed || 0)));
  const top = niceMax(maxV);
  const y = (v) => m.top + ph - (v / top) * ph;
  const ok = buckets.reduce((a, b) => a + (b.delivered || 0), 0);
  const ko = buckets.reduce((a, b) => a + (b.failed || 0), 0);
  const svg = s('svg', { width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-label': ok + ko ? t('chart.summary', ok, ko) : t('chart.none') });
  const grid = s('g', { class: 'c-grid' });
  for (const v of [0, top / 2, top]) {
    grid.append(s('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
    grid.append(s('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'c-label' }, fmtInt(v)));
  }
  svg.append(grid);
  const n = buckets.length || 1;
  const bw = pw / n;
  const barW = Math.max(2, Math.min(14, bw * 0.36));
  const every = width < 420 ? 6 : 3;
  const bars = s('g', null);
  buckets.forEach((b, i) => {
    const x0 = m.left + i * bw;
    const cx = x0 + bw / 2;
    const from = new Date(b.hour);
    const to = new Date(from.getTime() + 3600 * 1000);
    const grp = s('g', { class: 'c-bucket' },
      s('title', null, t('chart.bucket', t('chart.hour', from), t('chart.hour', to), b.delivered || 0, b.failed || 0)),
      s('rect', { x: x0, y: m.top, width: bw, height: ph, class: 'c-hover' }));
    if (b.delivered) grp.append(s('rect', { x: cx - barW - 1, y: y(b.delivered), width: barW, height: Math.max(1, m.top + ph - y(b.delivered)), rx: 2, class: 'c-ok' }));
    if (b.failed) grp.append(s('rect', { x: cx + 1, y: y(b.failed), width: barW, height: Math.max(1, m.top + ph - y(b.failed)), rx: 2, class: 'c-ko' }));
    bars.append(grp);
    if ((n - 1 - i) % every === 0) {
      svg.append(s('text', { x: cx, y: H - 8, 'text-anchor': 'middle', class: 'c-label' }, t('chart.hour', from)));
    }
  });
  svg.append(bars);
  svg.append(s('line', { x1: m.left, x2: width - m.right, y1: y(0), y2: y(0), class: 'c-axis' }));
  if (!ok && !ko) svg.append(s('text', { x: m.left + pw / 2, y: m.top + ph / 2, 'text-anchor': 'middle', class: 'c-empty' }, t('chart.none')));
  return svg;
}

/** The axis top for a largest value `v`: 4 at least, else a round number ≥ v (halves whole). */
export function niceMax(v) {
  if (v <= 4) return 4;
  const pow = 10 ** Math.floor(Math.log10(v));
  for (const k of [1, 2, 2.5, 5, 10]) {
    const c = k * pow;
    if (c >= v && (c / 2) % 1 === 0) return c;
  }
  return 10 * pow;
}
