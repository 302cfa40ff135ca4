// Create/edit screen for an endpoint: URL, description, event types, filter, headers and
// (editing) enabled; client-side checks, then the server's errors next to their fields.
import { state, alive } from './state.js';
import { t, fieldErrorText } from './i18n.js';
import { h, spinner, nextId, root, setTitle, toast } from './dom.js';
import { api, catalog, enc, errorText, fieldLine, isHandled } from './api.js';
import { go, rerender } from './router.js';
import { breadcrumb, focusHeading, showError } from './page.js';
import { endpointBody, formFieldOf, initialValues, validateEndpoint } from './form-logic.js';
import { typePicker } from './form-types.js';
import { filterSection } from './filter-builder.js';
import { headersEditor } from './headers-editor.js';

export async function viewForm(route, g, moveFocus) {
  const editing = route.name === 'edit';
  setTitle(t(editing ? 'edit.title' : 'create.title'));
  const crumbs = breadcrumb(editing ? [{ href: `#/endpoints/${enc(route.id)}`, text: route.id }] : []);
  root().replaceChildren(crumbs, h('h1', { text: t(editing ? 'edit.title' : 'create.title') }), spinner());
  let types;
  let ep = null;
  try {
    [types, ep] = await Promise.all([catalog(), editing ? api('GET', `/v1/endpoints/${enc(route.id)}`) : Promise.resolve(null)]);
  } catch (err) {
    return showError(err, g, { what: editing ? 'endpoint' : null, retry: rerender });
  }
  if (!alive(g)) return;
  state.catalogList = types;
  const initial = initialValues(ep, state.draft);
  state.draft = null;

  const parts = formParts(types, initial, editing);
  const form = formElement(parts, route, editing);
  const errors = fieldErrors(parts.fields, parts.summary);
  state.captureDraft = parts.values;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit(form, parts, errors, route, g, editing);
  });

  root().replaceChildren(crumbs,
    h('div', { class: 'page-head' }, h('div', null,
      h('h1', { text: t(editing ? 'edit.title' : 'create.title') }),
      h('p', { class: 'muted page-intro', text: editing ? ep.url : t('create.intro') }))),
    h('div', { class: 'form-layout' }, form,
      editing ? null : h('aside', { class: 'help', 'aria-labelledby': 'help-title' },
        h('h2', { id: 'help-title', class: 'help-title', text: t('help.title') }),
        h('ul', { class: 'help-list' }, ['help.secret', 'help.signed', 'help.retries', 'help.test'].map((k) => h('li', { text: t(k) }))))));
  if (moveFocus && !editing) {
    window.scrollTo(0, 0);
    parts.url.focus();
  } else focusHeading(moveFocus);
}

/** The form's inputs and sub-editors, the error slots they share, and its current values. */
function formParts(types, initial, editing) {
  const urlId = nextId('url');
  const descId = nextId('desc');
  const url = h('input', { id: urlId, name: 'url', type: 'url', class: 'input', inputmode: 'url', autocomplete: 'url', spellcheck: 'false', placeholder: 'https://', maxlength: 2048, 'aria-describedby': `${urlId}-hint` });
  url.value = initial.url;
  const desc = h('textarea', { id: descId, name: 'description', class: 'input textarea', rows: 2, maxlength: 500, 'aria-describedby': `${descId}-hint` });
  desc.value = initial.description;
  const picker = typePicker(types, initial.types, () => filter.refreshFields());
  const filter = filterSection(initial.filter, picker.selected);
  const headers = headersEditor(initial.headers, editing);
  const enabled = h('input', { type: 'checkbox', id: nextId('enabled'), name: 'enabled', class: 'checkbox' });
  enabled.checked = initial.enabled !== false;
  const fieldErr = (id) => h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
  const fields = {
    url: { input: url, err: fieldErr(urlId), hintId: `${urlId}-hint` },
    description: { input: desc, err: fieldErr(descId), hintId: `${descId}-hint` },
    event_types: picker.field,
    filter: filter.field,
    headers: headers.field,
  };
  const values = () => ({ url: url.value.trim(), description: desc.value.trim(), types: picker.checked(), enabled: enabled.checked, filter: filter.value(), headers: headers.value() });
  const summary = h('div', { class: 'alert alert-error', role: 'alert', tabindex: '-1', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save' }, h('span', { class: 'btn-label', text: t('f.save') }));
  return { url, desc, picker, filter, headers, enabled, fields, values, summary, submit, busy: false };
}

function formElement(p, route, editing) {
  const optional = state.lang === 'fr' ? '(facultative)' : '(optional)';
  const cancelHref = editing ? `#/endpoints/${enc(route.id)}` : '#/endpoints';
  const { url, description } = p.fields;
  return h('form', { class: 'panel form', novalidate: true, 'data-testid': editing ? 'edit-form' : 'create-form' },
    p.summary,
    h('div', { class: 'field' },
      h('label', { for: p.url.id, class: 'label', text: t('f.url') }),
      p.url,
      h('p', { id: url.hintId, class: 'hint', text: t('f.urlHint') }),
      url.err),
    h('div', { class: 'field' },
      h('label', { for: p.desc.id, class: 'label' }, t('f.description'), ' ', h('span', { class: 'optional', text: optional })),
      p.desc,
      h('p', { id: description.hintId, class: 'hint', text: t('f.descriptionHint') }),
      description.err),
    p.picker.el,
    p.filter.el,
    p.headers.el,
    editing ? h('div', { class: 'field field-check' },
      h('label', { class: 'switch-label', for: p.enabled.id }, p.enabled, h('span', null, h('span', { class: 'label-inline', text: t('f.enabled') }), h('span', { class: 'hint', text: t('f.enabledHint') })))) : null,
    h('div', { class: 'form-actions' },
      p.submit,
      h('a', { class: 'btn btn-secondary', href: cancelHref, text: t('cancel') })));
}

/** Error display over `fields` (`{ input, err, hintId, focus? }` by name) and the summary
 *  box for errors no field owns. An error goes away as soon as its field is edited. */
function fieldErrors(fields, summary) {
  function clearField(f) {
    f.err.hidden = true;
    f.err.textContent = '';
    f.input.removeAttribute('aria-invalid');
    f.input.setAttribute('aria-describedby', f.hintId);
    f.input.classList.remove('is-invalid');
  }
  fields.url.input.addEventListener('input', () => clearField(fields.url));
  fields.description.input.addEventListener('input', () => clearField(fields.description));
  fields.event_types.input.addEventListener('change', () => clearField(fields.event_types));
  fields.filter.input.addEventListener('input', () => clearField(fields.filter));
  fields.headers.input.addEventListener('input', () => clearField(fields.headers));

  function markField(f, msgs) {
    f.err.textContent = msgs.join(' · ');
    f.err.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
    f.input.setAttribute('aria-describedby', `${f.hintId} ${f.err.id}`);
    f.input.classList.add('is-invalid');
  }

  /** `list`: `[{ field, code?, message, params? }]`; `detail` stands when no field is named. */
  function show(list, detail) {
    const byField = new Map();
    const other = [];
    const names = Object.keys(fields);
    for (const e of list) {
      const name = formFieldOf(e.field, names);
      if (!name) other.push(fieldLine(e));
      else {
        if (!byField.has(name)) byField.set(name, []);
        byField.get(name).push(fieldErrorText(e));
      }
    }
    let first = null;
    for (const [name, msgs] of byField) {
      markField(fields[name], msgs);
      if (!first) first = fields[name];
    }
    if (other.length || (!byField.size && detail)) {
      summary.replaceChildren(h('p', { text: other.length ? other.join(' · ') : detail }));
      summary.hidden = false;
      if (!first) {
        summary.focus();
        return;
      }
    }
    if (first) (first.focus ? first.focus() : first.input.focus());
  }

  function clear() {
    summary.hidden = true;
    summary.replaceChildren();
    Object.values(fields).forEach(clearField);
  }
  return { show, clear };
}

async function submit(form, p, errors, route, g, editing) {
  if (p.busy) return;
  errors.clear();
  const v = p.values();
  const errs = validateEndpoint(v);
  if (errs.length) return errors.show(errs);
  const label = p.submit.querySelector('.btn-label');
  const setBusy = (on) => {
    p.busy = on; // stays set after a save: the view is leaving
    p.submit.disabled = on;
    label.textContent = t(on ? 'f.saving' : 'f.save');
    if (on) form.setAttribute('aria-busy', 'true');
    else form.removeAttribute('aria-busy');
  };
  setBusy(true);
  try {
    if (editing) {
      await api('PATCH', `/v1/endpoints/${enc(route.id)}`, endpointBody(v, true));
      if (!alive(g)) return;
      toast(t('toast.saved'));
      // Came from the detail page: go back to it rather than stacking a second entry.
      if (state.previousRouteKey === `detail:${route.id}`) history.back();
      else go(`#/endpoints/${enc(route.id)}`, true);
    } else {
      const created = await api('POST', '/v1/endpoints', endpointBody(v, false));
      if (!alive(g)) return;
      state.secretHolder = { id: created.id, secret: created.secret, url: created.url, kind: 'created' };
      // Replace the form in history: "back" from the secret goes to the list, not to a stale form.
      go(`#/endpoints/${enc(created.id)}/secret`, true);
    }
  } catch (err) {
    if (isHandled(err) || !alive(g)) return;
    setBusy(false);
    if (err.status === 404 && editing) return showError(err, g, { what: 'endpoint' });
    errors.show(err.errors, errorText(err));
  }
}
