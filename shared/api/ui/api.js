// The REST client: the admin token (sessionStorage, taken from the portal link), api()
// calls to /v1, problem responses as ApiError and as text, and the event-type catalog.
import { state, TOKEN_KEY, alive } from './state.js';
import { t, fieldErrorText, problemText } from './i18n.js';

/** What the app does when the token is missing or refused, and when it changes; set by
 *  app.js (this module knows no screen). */
export const hooks = {
  unauthenticated: () => {},
  tokenChanged: () => {},
};

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (_) {
    return state.memoryToken;
  }
}

export function setToken(v) {
  state.memoryToken = v;
  try {
    if (v) sessionStorage.setItem(TOKEN_KEY, v);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch (_) {
    /* storage disabled: the in-memory copy is used */
  }
  hooks.tokenChanged(!!v);
}

/** The `token` parameter of a `#token=…&…` fragment: undefined when absent. */
export function tokenFromFragment(fragment) {
  const raw = fragment.replace(/^#/, '');
  if (raw.startsWith('/')) return undefined;
  let token;
  for (const p of raw.split('&')) {
    const i = p.indexOf('=');
    const k = i < 0 ? p : p.slice(0, i);
    if (k === 'token') {
      try {
        token = decodeURIComponent(p.slice(i + 1));
      } catch (_) {
        token = p.slice(i + 1);
      }
    }
  }
  return token;
}

/** Takes `#token=…` from the portal link, keeps it in sessionStorage, removes it from the URL. */
export function takeTokenFromFragment() {
  const token = tokenFromFragment(location.hash);
  if (token === undefined) return;
  if (token) setToken(token.trim());
  history.replaceState(history.state, '', `${location.pathname}${location.search}#/endpoints`);
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.errors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

export async function api(method, path, body) {
  const token = getToken();
  if (!token) {
    hooks.unauthenticated();
    throw new ApiError(401, { detail: t('token.required'), handled: true });
  }
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json, application/problem+json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (_) {
    throw new ApiError(0, { detail: t('err.network') });
  }
  if (resp.status === 401) {
    setToken('');
    state.tokenRejected = true;
    hooks.unauthenticated();
    throw new ApiError(401, { detail: t('token.rejected'), handled: true });
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (_) {
      data = null;
    }
  }
  if (!resp.ok) throw new ApiError(resp.status, data || { detail: text || resp.statusText });
  return data;
}

/** A field error as one line: "field : text" (the field left out when there is none). */
export function fieldLine(e) {
  const text = fieldErrorText(e);
  if (!e.field) return text;
  return state.lang === 'fr' ? `${e.field} : ${text}` : `${e.field}: ${text}`;
}

/** A human sentence for an API error: its field errors, its code's sentence, the problem's
 *  detail, or a message for the status. */
export function errorText(err, what) {
  if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
  const p = err.problem;
  if (err.status === 403) return p.detail ? `${t('err.forbidden')} (${p.detail})` : t('err.forbidden');
  if (err.status === 404 && what === 'endpoint') return t('err.notFound');
  if (err.errors.length) return err.errors.map(fieldLine).join(state.lang === 'fr' ? ' ; ' : '; ');
  return problemText(p) || p.detail || p.title || t('err.generic', err.status);
}

export const isHandled = (err) => err instanceof ApiError && err.problem && err.problem.handled;

/** The event-type catalog, fetched once (again after a failure or a sign-out). */
export function catalog() {
  if (!state.catalogPromise) {
    const p = api('GET', '/v1/event-types').then((r) => r.data || []);
    state.catalogPromise = p;
    p.catch(() => {
      if (state.catalogPromise === p) state.catalogPromise = null;
    });
  }
  return state.catalogPromise;
}

export const enc = encodeURIComponent;

/** A problem worth the same call again a moment later: the api ran out of time or was busy
 *  (503, code `timeout` or `busy`). */
const isRetryable = (err) => err instanceof ApiError && err.status === 503 && ['timeout', 'busy'].includes(err.problem.code);

/** Replays an endpoint's failed messages since `since` (ISO): a call stops on its time
 *  budget (`complete: false`) and the next goes on from its `next_cursor`, while the view
 *  `g` stands, at most 100 calls. A call cut short by the deadline or refused as busy
 *  (503 `timeout` or `busy`) is made again from the same cursor, up to 3 times in a row:
 *  a recovery replays nothing twice, and what a cut call restarted is no longer failed.
 *  Resolves to the number of messages reported sent again. */
export async function recoverAll(endpoint, since, g, pause = 1000) {
  let n = 0;
  let cursor;
  let failedInARow = 0;
  for (let call = 0; call < 100; call += 1) {
    let res;
    try {
      res = await api('POST', `/v1/endpoints/${enc(endpoint)}/recover`, { since, cursor });
    } catch (err) {
      failedInARow += 1;
      if (!isRetryable(err) || failedInARow > 3 || !alive(g)) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause));
      continue;
    }
    failedInARow = 0;
    n += (res && res.recovered) || 0;
    if (!res || res.complete !== false || !alive(g)) break;
    cursor = res.next_cursor;
  }
  return n;
}
