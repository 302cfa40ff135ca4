// Shared mutable state of the UI, in one place: language, the current view's generation and
// clean-ups, routing memory, the secret shown once, the token fallback and the catalog cache.

export const TOKEN_KEY = 'pp-webhooks-token'; // sessionStorage: this tab only
export const LANG_KEY = 'pp-webhooks-lang'; // localStorage: a preference, not a secret
export const PAGE_SIZE = 20;

function readLang() {
  try {
    const v = localStorage.getItem(LANG_KEY);
    return v === 'en' || v === 'fr' ? v : 'fr';
  } catch (_) {
    return 'fr'; // storage disabled, or no browser (unit tests)
  }
}

export const state = {
  lang: readLang(),
  gen: 0, // incremented on each render; async work from an older view stops writing
  cleanup: [], // timers and observers of the current view
  currentRoute: null,
  previousRouteKey: null,
  captureDraft: null, // returns the form state of the current view (kept over a language switch)
  draft: null,
  /** Secret just returned by create/rotate. Only here, for the secret route of that id. */
  secretHolder: null,
  tokenRejected: false,
  memoryToken: '', // used when sessionStorage is unavailable
  catalogPromise: null,
  catalogList: [],
};

/** Whether async work started under generation `g` may still write to the page. */
export const alive = (g) => g === state.gen;

/** Ends the current view: runs its clean-ups and starts a new generation. */
export function endView() {
  for (const fn of state.cleanup) fn();
  state.cleanup = [];
  state.captureDraft = null;
  state.gen += 1;
  return state.gen;
}

export function setLang(lang) {
  state.lang = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch (_) {
    /* preference not kept */
  }
}
