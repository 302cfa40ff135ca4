// The form's filter: the CEL text, a builder for the common case (fields of the selected
// types' examples) and a test of each selected type's example against the server's evaluator.
import { state } from './state.js';
import { t, fieldErrorText } from './i18n.js';
import { h, spinner, nextId } from './dom.js';
import { api, errorText, isHandled } from './api.js';
import { FILTER_OPS, addCondition, celCondition, exampleFields } from './form-logic.js';

/** `selectedTypes()` gives the catalog entries ticked in the form. */
export function filterSection(initial, selectedTypes) {
  const id = nextId('filter');
  const text = h('textarea', { id, name: 'filter', class: 'input textarea input-mono', rows: 2, maxlength: 1000, spellcheck: 'false', 'aria-describedby': `${id}-hint` });
  text.value = initial || '';
  const err = h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
  const fieldSel = h('select', { class: 'input', 'aria-label': t('filter.field'), 'data-testid': 'filter-field' });
  const opSel = h('select', { class: 'input', 'aria-label': t('filter.op'), 'data-testid': 'filter-op' }, FILTER_OPS.map((o) => h('option', { value: o, text: t(`filter.op.${o}`) })));
  const valueIn = h('input', { class: 'input', 'aria-label': t('filter.value'), placeholder: t('filter.valueHint'), 'data-testid': 'filter-value' });
  const results = h('ul', { class: 'filter-results', 'aria-live': 'polite', 'data-testid': 'filter-results' });
  let samples = {};
  function refreshFields() {
    samples = exampleFields(selectedTypes());
    const keep = fieldSel.value;
    fieldSel.replaceChildren(...Object.keys(samples).sort().map((k) => h('option', { value: k, text: k })));
    if (keep in samples) fieldSel.value = keep;
  }
  refreshFields();
  const add = h('button', { type: 'button', class: 'btn btn-secondary', text: t('filter.add'), onclick: () => {
    if (!fieldSel.value) return;
    text.value = addCondition(text.value, celCondition(fieldSel.value, opSel.value, valueIn.value, samples[fieldSel.value]));
    text.dispatchEvent(new Event('input', { bubbles: true }));
  } });
  const showFailure = (e) => {
    const m = (e.errors || []).find((x) => x.field === 'filter');
    err.textContent = m ? fieldErrorText(m) : errorText(e);
    err.hidden = false;
    text.setAttribute('aria-invalid', 'true');
  };
  const test = h('button', { type: 'button', class: 'btn btn-secondary', text: t('filter.test'), onclick: async () => {
    const chosen = selectedTypes();
    if (!chosen.length) return results.replaceChildren(h('li', { text: t('filter.noTypes') }));
    results.replaceChildren(spinner());
    try {
      results.replaceChildren(...await Promise.all(chosen.map((ty) => tryExample(text.value.trim(), ty))));
    } catch (e) {
      if (isHandled(e)) return;
      results.replaceChildren();
      showFailure(e);
    }
  } });
  const el = h('fieldset', { class: 'field fieldset filter-section', 'data-testid': 'filter-section' },
    h('legend', { class: 'label' }, t('f.filter'), ' ', h('span', { class: 'optional', text: state.lang === 'fr' ? '(facultatif)' : '(optional)' })),
    h('p', { id: `${id}-hint`, class: 'hint', text: t('f.filterHint') }),
    h('div', { class: 'filter-builder' }, fieldSel, opSel, valueIn, add),
    h('label', { for: id, class: 'visually-hidden', text: t('f.filter') }), text, err,
    h('div', { class: 'filter-actions' }, test), results);
  return { el, value: () => text.value.trim(), refreshFields, field: { input: text, err, hintId: `${id}-hint` } };
}

/** One result line: would `ty`'s example be sent under filter `f`? */
async function tryExample(f, ty) {
  if (!f) return h('li', { class: 'filter-sent', text: t('filter.sent', ty.name) });
  const r = await api('POST', '/v1/filters/evaluate', { filter: f, event_type: ty.name, event_data: ty.example || {} });
  if (r.error) return h('li', { class: 'filter-error', text: t('filter.error', ty.name, r.error) });
  return h('li', { class: r.matched ? 'filter-sent' : 'filter-not-sent', text: t(r.matched ? 'filter.sent' : 'filter.notSent', ty.name) });
}
