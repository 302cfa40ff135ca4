// Admin UI of pp-svc-webhooks, entry module: plain ES modules, no dependencies, no build step.
// Served with a strict CSP (no inline script/style). This module owns the page chrome
// (language switch, sign-out, skip link), wires the screens into the router, and starts.
import { state, setLang } from './state.js';
import { t } from './i18n.js';
import { h, icon, root, toast } from './dom.js';
import { getToken, setToken, hooks, takeTokenFromFragment } from './api.js';
import { registerViews, render } from './router.js';
import { viewNotFound } from './page.js';
import { showTokenScreen } from './token.js';
import { viewList } from './list.js';
import { viewSearch, viewFailed } from './search.js';
import { viewNotifications } from './notifications.js';
import { viewForm } from './form.js';
import { viewSecret } from './secret.js';
import { viewDetail } from './detail.js';

registerViews({
  list: viewList,
  create: viewForm,
  edit: viewForm,
  detail: viewDetail,
  secret: viewSecret,
  search: viewSearch,
  failed: viewFailed,
  notifications: viewNotifications,
  notfound: viewNotFound,
  token: showTokenScreen,
});

const logoutBtn = document.getElementById('logout');
hooks.unauthenticated = showTokenScreen;
hooks.tokenChanged = (has) => {
  logoutBtn.hidden = !has;
};

function applyChrome() {
  const { lang } = state;
  document.documentElement.lang = lang;
  const sw = document.getElementById('lang-switch');
  sw.replaceChildren(h('span', { class: 'long', text: t('lang.other') }), h('span', { class: 'short', 'aria-hidden': 'true', text: lang === 'fr' ? 'EN' : 'FR' }));
  sw.setAttribute('lang', lang === 'fr' ? 'en' : 'fr');
  sw.setAttribute('aria-label', t('lang.otherLabel'));
  logoutBtn.replaceChildren(icon('logout'), h('span', { class: 'long', text: t('logout') }));
  logoutBtn.setAttribute('aria-label', t('logout'));
  document.getElementById('skip-link').textContent = t('skip');
  document.getElementById('brand-product').textContent = t('app.name');
}

document.getElementById('lang-switch').addEventListener('click', () => {
  setLang(state.lang === 'fr' ? 'en' : 'fr');
  applyChrome();
  if (state.captureDraft) state.draft = state.captureDraft();
  if (getToken()) render({ keepFocus: true });
  else showTokenScreen();
});

logoutBtn.addEventListener('click', () => {
  setToken('');
  state.secretHolder = null;
  state.catalogPromise = null;
  state.currentRoute = null;
  showTokenScreen();
  toast(t('token.signedOut'));
});

document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  const app = root();
  const h1 = app.querySelector('h1');
  (h1 || app).setAttribute('tabindex', '-1');
  (h1 || app).focus();
});

window.addEventListener('hashchange', () => {
  // A pasted portal link while the app is open.
  if (/^#(?:[^/].*&)?token=/.test(location.hash)) takeTokenFromFragment();
  render();
});

takeTokenFromFragment();
logoutBtn.hidden = !getToken();
applyChrome();
render();
