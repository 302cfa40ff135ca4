// Secret screen: the signing secret just created or rotated, shown once, never stored.
import { state } from './state.js';
import { t } from './i18n.js';
import { h, s, icon, copyText, nextId, root, setTitle } from './dom.js';
import { enc } from './api.js';
import { breadcrumb, focusHeading } from './page.js';

export function viewSecret(route, g, moveFocus) {
  const held = state.secretHolder && state.secretHolder.id === route.id ? state.secretHolder : null;
  if (!held) {
    setTitle(t('secret.goneTitle'));
    root().replaceChildren(breadcrumb([{ href: `#/endpoints/${enc(route.id)}`, text: route.id }]),
      h('section', { class: 'panel state' },
        h('h1', { class: 'state-title', text: t('secret.goneTitle') }),
        h('p', { class: 'state-text', text: t('secret.gone') }),
        h('div', { class: 'state-actions' },
          h('a', { class: 'btn btn-primary', href: `#/endpoints/${enc(route.id)}`, text: t('secret.toDetail') }),
          h('a', { class: 'btn btn-secondary', href: '#/endpoints', text: t('secret.toList') }))));
    focusHeading(moveFocus);
    return;
  }
  const title = t(held.kind === 'rotated' ? 'secret.rotatedTitle' : 'secret.createdTitle');
  setTitle(title);
  const inputId = nextId('secret');
  const field = h('input', { id: inputId, class: 'input input-mono secret-value', readonly: true, spellcheck: 'false', autocomplete: 'off', 'data-testid': 'secret' });
  field.value = held.secret;
  field.addEventListener('focus', () => field.select());
  const copyBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'copy-secret', onclick: () => copyText(held.secret, copyBtn) }, icon('copy'), h('span', { class: 'btn-label', text: t('copy') }));
  root().replaceChildren(
    breadcrumb([{ href: `#/endpoints/${enc(route.id)}`, text: held.url }]),
    h('section', { class: 'panel secret-panel', 'data-testid': 'secret-screen' },
      h('div', { class: 'secret-head' },
        h('span', { class: 'secret-check', 'aria-hidden': 'true' }, s('svg', { viewBox: '0 0 24 24', class: 'icon' }, s('path', { d: 'M5 12.5l4.5 4.5L19 7.5' }))),
        h('div', null, h('h1', { text: title }), h('p', { class: 'muted mono-break', text: held.url }))),
      h('div', { class: 'alert alert-warning', role: 'note' },
        icon('warn'),
        h('div', null, h('strong', { text: t('secret.warningTitle') }), h('p', { text: t('secret.warning') }),
          held.kind === 'rotated' ? h('p', { text: t('secret.grace') }) : null)),
      h('div', { class: 'field' },
        h('label', { for: inputId, class: 'label', text: t('secret.label') }),
        h('div', { class: 'secret-row' }, field, copyBtn)),
      h('div', { class: 'form-actions' },
        h('a', { class: 'btn btn-secondary', href: '#/endpoints', 'data-testid': 'back-to-list', text: t('secret.toList') }),
        h('a', { class: 'btn btn-secondary', href: `#/endpoints/${enc(route.id)}`, text: t('secret.toDetail') }))));
  focusHeading(moveFocus);
}
