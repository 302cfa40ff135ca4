// The endpoint form's pure logic: its starting values, client-side checks, which field a
// server error belongs to, the request body, the catalog grouped for the type picker, CEL
// conditions from the filter builder, and the header editor's values.
import { t } from './i18n.js';
import { groupOf } from './format.js';

/** The form's values: a kept draft, else the endpoint's, else a blank form. */
export function initialValues(ep, draft) {
  if (draft) return draft;
  if (ep) return { url: ep.url, description: ep.description || '', types: ep.event_types || [], enabled: ep.enabled, filter: ep.filter || '', headers: ep.headers || {} };
  return { url: '', description: '', types: [], enabled: true, filter: '', headers: {} };
}

/** Client-side checks, before the server's: `[{ field, message }]`. */
export function validateEndpoint(v) {
  const errs = [];
  if (!v.url) errs.push({ field: 'url', message: t('err.urlRequired') });
  else {
    let ok = false;
    try {
      const u = new URL(v.url);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname;
    } catch (_) {
      ok = false;
    }
    if (!ok) errs.push({ field: 'url', message: t('err.urlInvalid') });
  }
  if ([...v.description].length > 500) errs.push({ field: 'description', message: t('err.descriptionLong') });
  if (v.types.length === 0) errs.push({ field: 'event_types', message: t('err.typesRequired') });
  return errs;
}

/** The form field an error names: `event_types[1]` and `headers.x-api-key` belong to
 *  `event_types` and `headers`; null when the form has no such field. */
export function formFieldOf(field, known) {
  const base = String(field || '').replace(/\[\d+\]$/, '').split('.')[0];
  return known.includes(base) ? base : null;
}

/** The body of a create (`editing` false) or edit request. */
export function endpointBody(v, editing) {
  return { url: v.url, description: v.description, event_types: v.types, enabled: editing ? v.enabled : true, filter: v.filter || null, headers: v.headers };
}

/** The catalog by group (`INVOICE`, …, `other`), with the endpoint's types the catalog no
 *  longer lists kept visible under `other` (so they can be unticked). */
export function typeGroups(types, selected) {
  const groups = new Map();
  for (const ty of types) {
    const gk = groupOf(ty.name);
    if (!groups.has(gk)) groups.set(gk, []);
    groups.get(gk).push(ty);
  }
  const known = new Set(types.map((x) => x.name));
  const orphans = selected.filter((n) => !known.has(n));
  if (orphans.length) groups.set('other', (groups.get('other') || []).concat(orphans.map((n) => ({ name: n, description: {} }))));
  return groups;
}

/** Where a filter's condition reads a field of the event: `event_data.name`, or
 *  `event_data["odd name"]` for a name CEL cannot spell. */
export const fieldRef = (name) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `event_data.${name}` : `event_data[${JSON.stringify(name)}]`);

export const FILTER_OPS = ['eq', 'ne', 'in', 'ge', 'le', 'contains', 'has'];

/** One CEL condition from the builder's choices; numbers compare as numbers (`double`
 *  also reads decimal strings), anything else as text. */
export function celCondition(field, op, raw, sample) {
  const ref = fieldRef(field);
  if (op === 'has') return `has(${ref})`;
  const numeric = typeof sample === 'number';
  const lit = (x) => {
    const v = x.trim();
    const n = Number(v);
    if (!numeric || v === '' || Number.isNaN(n)) return JSON.stringify(v);
    return Number.isInteger(n) ? `${n}.0` : String(n);
  };
  const lhs = numeric ? `double(${ref})` : ref;
  if (op === 'in') return `${ref} in [${raw.split(',').map((x) => (numeric ? lit(x) : JSON.stringify(x.trim()))).join(', ')}]`;
  if (op === 'contains') return `${ref}.contains(${JSON.stringify(raw.trim())})`;
  const sym = { eq: '==', ne: '!=', ge: '>=', le: '<=' }[op];
  return `${lhs} ${sym} ${lit(raw)}`;
}

/** `cond` and-ed onto the filter text. */
export const addCondition = (text, cond) => (text.trim() ? `${text.trim()} && ${cond}` : cond);

/** The builder's fields: each top-level field of the types' examples, with the first
 *  example value seen (it decides number or text). */
export function exampleFields(types) {
  const samples = {};
  for (const ty of types) {
    Object.entries(ty.example || {}).forEach(([k, v]) => {
      if (!(k in samples)) samples[k] = v;
    });
  }
  return samples;
}

/** The headers to save from the editor's rows `{ name, value, kept }`: a row left empty
 *  keeps its saved value; rows without a name are dropped. */
export function headerValues(rows) {
  return Object.fromEntries(rows
    .map((r) => [r.name.trim(), r.value || r.kept || ''])
    .filter(([k]) => k));
}
