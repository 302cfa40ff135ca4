// Hash routing: `#/endpoints/<id>?msg=…` to a route, and render() of the view it names
// (views are registered by app.js, so this module imports no screen).
import { state, endView } from './state.js';
import { getToken } from './api.js';

const views = {};

/** Registers `{ name: view(route, gen, moveFocus) }`, plus `token()` for the token screen. */
export function registerViews(v) {
  Object.assign(views, v);
}

/** The route a location hash names; pure. */
export function parseRoute(hash) {
  const raw = hash.replace(/^#/, '');
  const parts = raw.split('?')[0].split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch (_) {
      return p;
    }
  });
  const query = new URLSearchParams(raw.split('?')[1] || '');
  if (parts.length === 0) return { name: 'root' };
  if (parts.length === 1 && parts[0] === 'search') return { name: 'search', id: query.get('event_id') || '' };
  if (parts.length === 1 && parts[0] === 'failed') return { name: 'failed' };
  if (parts.length === 1 && parts[0] === 'notifications') return { name: 'notifications' };
  if (parts[0] !== 'endpoints') return { name: 'notfound' };
  if (parts.length === 1) return { name: 'list' };
  if (parts.length === 2 && parts[1] === 'new') return { name: 'create' };
  if (parts.length === 2) return { name: 'detail', id: parts[1], msg: query.get('msg') || null };
  if (parts.length === 3 && parts[2] === 'edit') return { name: 'edit', id: parts[1] };
  if (parts.length === 3 && parts[2] === 'secret') return { name: 'secret', id: parts[1] };
  return { name: 'notfound' };
}

export const routeKey = (r) => `${r.name}:${r.id || ''}`;

export function go(hash, replace) {
  if (replace) location.replace(hash);
  else location.hash = hash;
}

/** Renders the view of the current location; `keepFocus` leaves focus where it is. */
export function render(opts = {}) {
  const route = parseRoute(location.hash);
  if (route.name === 'root') {
    go('#/endpoints', true);
    return;
  }
  const prev = state.currentRoute;
  const sameRoute = prev && routeKey(prev) === routeKey(route);
  if (!sameRoute) {
    state.draft = null;
    const held = state.secretHolder;
    if (!(route.name === 'secret' && held && held.id === route.id)) state.secretHolder = null;
  }
  const myGen = endView();
  const moveFocus = !!prev && !sameRoute && !opts.keepFocus;
  if (!sameRoute) state.previousRouteKey = prev ? routeKey(prev) : null;
  state.currentRoute = route;
  document.querySelectorAll('dialog').forEach((d) => d.close());

  if (!getToken()) {
    views.token();
    return;
  }
  views[route.name](route, myGen, moveFocus);
}

/** Re-renders the current view in place (a retry button). */
export const rerender = () => render({ keepFocus: true });
