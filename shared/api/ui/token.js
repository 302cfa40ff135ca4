// Token screen: asks for the admin token when there is none or it was refused.
import { state, endView } from './state.js';
import { t } from './i18n.js';
import { h, icon, nextId, root, setTitle } from './dom.js';
import { setToken } from './api.js';
import { render } from './router.js';

export function showTokenScreen() {
  endView();
  document.querySelectorAll('dialog').forEach((d) => d.close());
  setTitle(t('token.label'));
  const inputId = nextId('token');
  const errId = nextId('token-err');
  const input = h('input', { id: inputId, name: 'token', type: 'password', class: 'input input-mono', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${inputId}-hint` });
  const err = h('p', { id: errId, class: 'field-error', hidden: true });
  const form = h('form', { class: 'panel token-panel', novalidate: true },
    h('div', { class: 'token-mark', 'aria-hidden': 'true' }, icon('lock')),
    h('h1', { text: t('token.title') }),
    h('p', { class: 'muted', text: t('token.intro') }),
    state.tokenRejected ? h('p', { class: 'alert alert-error', role: 'alert', text: t('token.rejected') }) : null,
    h('div', { class: 'field' },
      h('label', { for: inputId, class: 'label', text: t('token.label') }),
      input,
      h('p', { id: `${inputId}-hint`, class: 'hint', text: t('token.hint') }),
      err),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', text: t('token.submit') })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = input.value.trim();
    if (!v) {
      err.textContent = t('token.required');
      err.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${inputId}-hint ${errId}`);
      input.focus();
      return;
    }
    state.tokenRejected = false;
    setToken(v);
    state.currentRoute = null;
    render();
  });
  root().replaceChildren(h('div', { class: 'token-wrap' }, form));
  input.focus();
}
