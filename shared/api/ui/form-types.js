// The form's event-type picker: the catalog by group as checkboxes, a count, select all or
// none, and a link to each type's contract.
import { t } from './i18n.js';
import { describe } from './format.js';
import { h, nextId } from './dom.js';
import { typeGroups } from './form-logic.js';
import { showContract } from './payload.js';

/** `onChange()` runs when the user ticks or unticks a type. */
export function typePicker(types, initialTypes, onChange) {
  const id = nextId('types');
  const counter = h('span', { class: 'types-count', 'aria-live': 'polite' });
  const boxes = [];
  const updateCount = () => {
    counter.textContent = t('f.selected', boxes.filter((b) => b.checked).length);
  };
  const option = (ty) => {
    const cbId = nextId('type');
    const cb = h('input', { type: 'checkbox', id: cbId, name: 'event_types', value: ty.name, class: 'checkbox' });
    cb.checked = initialTypes.includes(ty.name);
    cb.addEventListener('change', () => {
      updateCount();
      onChange();
    });
    boxes.push(cb);
    const d = describe(ty);
    return h('div', { class: 'type-option' },
      h('label', { class: 'type-label', for: cbId }, cb,
        h('span', { class: 'type-text' }, h('span', { class: 'type-name', text: ty.name }), d ? h('span', { class: 'type-desc', text: d }) : null)),
      ty.schema ? h('button', { type: 'button', class: 'btn btn-link type-contract', 'aria-label': t('contract.open', ty.name), text: t('contract.link'), onclick: () => showContract(ty) }) : null);
  };
  const groups = [...typeGroups(types, initialTypes).entries()].map(([gk, list]) => h('div', { class: 'type-group' },
    h('p', { class: 'type-group-title', text: t(`group.${gk}`) }),
    h('div', { class: 'type-grid' }, list.map(option))));
  updateCount();
  const setAll = (v) => {
    boxes.forEach((b) => {
      b.checked = v;
    });
    updateCount();
  };
  const err = h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
  const el = h('fieldset', { class: 'field fieldset', id, 'aria-describedby': `${id}-hint` },
    h('legend', { class: 'label', text: t('f.types') }),
    h('div', { class: 'types-bar' },
      h('p', { id: `${id}-hint`, class: 'hint', text: t('f.typesHint') }),
      h('div', { class: 'types-tools' }, counter,
        h('button', { type: 'button', class: 'btn btn-link', text: t('f.all'), onclick: () => setAll(true) }),
        h('button', { type: 'button', class: 'btn btn-link', text: t('f.none'), onclick: () => setAll(false) }))),
    err,
    groups);
  return {
    el,
    checked: () => boxes.filter((b) => b.checked).map((b) => b.value),
    /** The catalog entries ticked (for the filter builder). */
    selected: () => types.filter((ty) => boxes.some((b) => b.checked && b.value === ty.name)),
    field: { input: el, err, hintId: `${id}-hint`, focus: () => (boxes[0] ? boxes[0].focus() : null) },
  };
}
