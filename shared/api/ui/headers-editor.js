// The form's custom headers: names and values; a saved value is never shown again, and
// left empty it stays as it is.
import { state } from './state.js';
import { t } from './i18n.js';
import { h, nextId } from './dom.js';
import { headerValues } from './form-logic.js';

/** `initial`: the endpoint's headers; `editing`: they are saved ones (values kept). */
export function headersEditor(initial, editing) {
  const id = nextId('headers');
  const rows = h('div', { class: 'header-rows' });
  const err = h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
  const entries = [];
  function addRow(name, kept) {
    const n = h('input', { class: 'input input-mono', 'aria-label': t('headers.name'), placeholder: 'x-api-key', maxlength: 64, spellcheck: 'false', value: name || '' });
    const v = h('input', { class: 'input input-mono', type: 'password', autocomplete: 'off', 'aria-label': t('headers.value'), maxlength: 1000, placeholder: kept !== undefined ? t('headers.kept') : '' });
    const entry = { n, v, kept };
    const row = h('div', { class: 'header-row' }, n, v,
      h('button', { type: 'button', class: 'btn btn-danger-ghost btn-small', 'aria-label': t('headers.remove'), text: '×', onclick: () => {
        entries.splice(entries.indexOf(entry), 1);
        row.remove();
        rows.dispatchEvent(new Event('input', { bubbles: true }));
      } }));
    entries.push(entry);
    rows.append(row);
    return n;
  }
  for (const [k, v] of Object.entries(initial || {})) addRow(k, editing ? v : undefined);
  const add = h('button', { type: 'button', class: 'btn btn-link', text: `+ ${t('headers.add')}`, onclick: () => addRow('').focus() });
  const el = h('fieldset', { class: 'field fieldset', id, 'data-testid': 'headers-editor', 'aria-describedby': `${id}-hint` },
    h('legend', { class: 'label' }, t('f.headers'), ' ', h('span', { class: 'optional', text: state.lang === 'fr' ? '(facultatifs)' : '(optional)' })),
    h('p', { id: `${id}-hint`, class: 'hint', text: t('f.headersHint') }), err, rows, add);
  const value = () => headerValues(entries.map((e) => ({ name: e.n.value, value: e.v.value, kept: e.kept })));
  return { el, value, field: { input: el, err, hintId: `${id}-hint` } };
}
