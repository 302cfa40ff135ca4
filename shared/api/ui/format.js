// Formatting helpers, pure: dates, durations, numbers, failure kinds and reasons as text.
import { state } from './state.js';
import { t, hasKey, locale } from './i18n.js';

export function fmtDate(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

// "in 22 h 11 min" / "dans 22 h 11 min": how far away a time is, to the minute (seconds
// under a minute, days and hours from two days), or "now" once it has passed.
export function fmtIn(iso, now = Date.now()) {
  const ms = new Date(iso).getTime() - now;
  if (Number.isNaN(ms)) return iso;
  if (ms <= 0) return t('in.now');
  const s = Math.round(ms / 1000);
  const hours = Math.floor(s / 3600), mins = Math.floor((s % 3600) / 60);
  const days = Math.floor(hours / 24);
  const span = s < 60 ? `${s} s`
    : days >= 2 ? `${days} ${state.lang === 'fr' ? 'j' : 'd'} ${hours % 24} h`
      : hours > 0 ? `${hours} h ${String(mins).padStart(2, '0')} min` : `${mins} min`;
  return t('in', span);
}

export function fmtDuration(ms) {
  if (ms == null) return '—';
  return ms < 1000 ? t('ms', ms) : t('s', ms / 1000);
}

export const fmtInt = (n) => new Intl.NumberFormat(locale()).format(n || 0);

/** A date as a `datetime-local` input's value, in local time, to the minute. */
export function toLocalInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Label of an attempt's failure kind (`timeout`, `dns`…); unknown kinds are shown as sent. */
export function failureText(kind) {
  const key = `fail.${kind}`;
  return hasKey(key) ? t(key) : kind;
}

/** What a failed attempt means and what to do, from its status code and error kind
 *  (never from message text); `null` for a success or nothing known. */
export function explainFailure(code, kind) {
  let key = null;
  if (kind && kind !== 'http_status') key = `why.${kind}`;
  else if (code === 401 || code === 403) key = 'why.auth';
  else if ([404, 410, 413, 429].includes(code)) key = `why.${code}`;
  else if (code >= 300 && code < 400) key = 'why.3xx';
  else if (code >= 400 && code < 500) key = 'why.4xx';
  else if (code >= 500) key = 'why.5xx';
  return key && hasKey(key) ? t(key) : null;
}

/** "Last response: HTTP 500" or "Last error: <kind>". */
export const failText = (code, err) => t('search.last', code, err && failureText(err));

/** Why an endpoint is disabled, from its `disabled_reason` code; older free text as is. */
export function disabledReasonText(ep) {
  const reason = ep && ep.disabled_reason;
  if (!reason) return '';
  if (reason === 'failing') return t('reason.failing', ep.failing_since ? fmtDate(ep.failing_since) : null);
  if (reason === 'manual') return t('reason.manual');
  return reason;
}

/** The form's group of an event type: its name's prefix when known (`INVOICE`), else `other`. */
export function groupOf(name) {
  const prefix = name.split('_')[0];
  return hasKey(`group.${prefix}`, 'fr') ? prefix : 'other';
}

/** The catalog's description of an event type in the UI's language, or ''. */
export function typeDescription(name, list = state.catalogList) {
  const e = list.find((x) => x.name === name);
  return e ? describe(e) : '';
}

export const describe = (ty) => (ty.description && (ty.description[state.lang] || ty.description.fr)) || '';
