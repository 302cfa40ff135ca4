// Page-level pieces every screen uses: focus after navigation, breadcrumb, the error page,
// and the not-found screen.
import { state, alive } from './state.js';
import { t } from './i18n.js';
import { h, root, setTitle } from './dom.js';
import { ApiError, errorText, isHandled } from './api.js';

/** Moves focus to the page heading after a navigation (screen readers announce the new page). */
export function focusHeading(should) {
  if (!should) return;
  const h1 = root().querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

export function breadcrumb(extra) {
  return h('nav', { class: 'breadcrumb', 'aria-label': state.lang === 'fr' ? 'Fil d’Ariane' : 'Breadcrumb' },
    h('ol', null,
      h('li', null, h('a', { href: '#/endpoints', text: t('detail.back') })),
      extra.map((x) => h('li', null, x.href ? h('a', { href: x.href, text: x.text }) : h('span', { text: x.text })))));
}

function errorView(err, { what, retry } = {}) {
  const status = err instanceof ApiError ? err.status : 0;
  const title = status === 404 && what === 'endpoint' ? t('err.notFound') : t('err.title');
  return h('section', { class: 'panel state state-error', role: 'alert' },
    h('h1', { class: 'state-title', text: title }),
    status === 404 && what === 'endpoint' ? null : h('p', { class: 'state-text', text: errorText(err, what) }),
    h('div', { class: 'state-actions' },
      retry && status !== 404 ? h('button', { type: 'button', class: 'btn btn-primary', text: t('retry'), onclick: retry }) : null,
      h('a', { class: 'btn btn-secondary', href: '#/endpoints', text: t('err.back') })));
}

/** Replaces the view with an error page, unless the view is gone or the error handled. */
export function showError(err, g, opts) {
  if (isHandled(err) || !alive(g)) return;
  root().replaceChildren(errorView(err, opts));
  setTitle(t('err.title'));
}

export function viewNotFound(route, g, moveFocus) {
  setTitle(t('err.route'));
  root().replaceChildren(h('section', { class: 'panel state' },
    h('h1', { class: 'state-title', text: t('err.route') }),
    h('div', { class: 'state-actions' }, h('a', { class: 'btn btn-primary', href: '#/endpoints', text: t('err.back') }))));
  focusHeading(moveFocus);
}
