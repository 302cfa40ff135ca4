// The detail screen's actions: send a test event, enable/disable, rotate the secret, delete,
// and recover the failed messages since a date.
import { state, alive } from './state.js';
import { t } from './i18n.js';
import { toLocalInput } from './format.js';
import { h, icon, nextId, toast } from './dom.js';
import { api, enc, errorText, isHandled, recoverAll } from './api.js';
import { go } from './router.js';
import { confirmDialog } from './dialogs.js';

/** Runs `call()` with `btn` disabled; an error is toasted (returns undefined), unless the
 *  view is gone or the error already handled. */
async function busyCall(ctx, btn, call, { keepDisabled = false } = {}) {
  btn.disabled = true;
  let res;
  try {
    res = await call();
  } catch (err) {
    btn.disabled = false;
    if (!isHandled(err) && alive(ctx.g)) toast(errorText(err), 'error');
    return { ok: false };
  }
  if (!keepDisabled) btn.disabled = false;
  return { ok: alive(ctx.g), res };
}

/** Wires the heading's buttons; `onChange()` redraws after the endpoint changed. */
export function wireActions(ctx, buttons, onChange) {
  buttons.test.addEventListener('click', async () => {
    const { ok } = await busyCall(ctx, buttons.test, () => api('POST', `${ctx.base}/test`));
    if (!ok) return;
    toast(t('toast.testSent'));
    ctx.kick();
  });

  buttons.toggle.addEventListener('click', async () => {
    const { ok, res } = await busyCall(ctx, buttons.toggle, () => api('PATCH', ctx.base, { enabled: !ctx.ep.enabled }));
    if (res) ctx.ep = res;
    if (!ok) return;
    onChange();
    toast(t(ctx.ep.enabled ? 'toast.enabled' : 'toast.disabled'));
  });

  buttons.rotate.addEventListener('click', async () => {
    const yes = await confirmDialog({ title: t('confirm.rotateTitle'), body: t('confirm.rotateBody'), confirmLabel: t('confirm.rotate') });
    if (!yes || !alive(ctx.g)) return;
    const { ok, res } = await busyCall(ctx, buttons.rotate, () => api('POST', `${ctx.base}/rotate-secret`), { keepDisabled: true });
    if (!ok) return;
    state.secretHolder = { id: ctx.ep.id, secret: res.secret, url: res.url || ctx.ep.url, kind: 'rotated' };
    go(`#/endpoints/${enc(ctx.ep.id)}/secret`);
  });

  buttons.delete.addEventListener('click', async () => {
    const yes = await confirmDialog({ title: t('confirm.deleteTitle'), body: t('confirm.deleteBody', ctx.ep.url), confirmLabel: t('confirm.delete'), danger: true });
    if (!yes || !alive(ctx.g)) return;
    const { ok } = await busyCall(ctx, buttons.delete, () => api('DELETE', ctx.base), { keepDisabled: true });
    if (!ok) return;
    toast(t('toast.deleted'));
    go('#/endpoints', true);
  });
}

/** The "recover failed messages since…" box of the log. */
export function recoverBox(ctx) {
  const id = nextId('since');
  const since = h('input', { id, type: 'datetime-local', class: 'input', step: 1, 'data-testid': 'recover-since' });
  since.value = toLocalInput(new Date(Date.now() - 24 * 3600 * 1000));
  const btn = h('button', { type: 'submit', class: 'btn btn-secondary', 'data-testid': 'recover' }, icon('replay'), h('span', { text: t('recover.submit') }));
  const msg = h('p', { class: 'hint', 'aria-live': 'polite' });
  const form = h('form', { class: 'recover-form', novalidate: true },
    h('label', { for: id, class: 'label', text: t('recover.label') }),
    h('div', { class: 'recover-row' }, since, btn),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = since.value ? new Date(since.value) : null;
    if (!d || Number.isNaN(d.getTime())) {
      msg.textContent = t('recover.invalid');
      since.focus();
      return;
    }
    btn.disabled = true;
    msg.textContent = '';
    let n;
    try {
      n = await recoverAll(ctx.ep.id, d.toISOString(), ctx.g);
    } catch (err) {
      btn.disabled = false;
      if (isHandled(err) || !alive(ctx.g)) return;
      msg.textContent = errorText(err);
      return;
    }
    btn.disabled = false;
    if (!alive(ctx.g)) return;
    msg.textContent = t('recover.done', n);
    toast(t('recover.done', n));
    ctx.kick();
  });
  return h('details', { class: 'recover' }, h('summary', { text: t('recover.summary') }), form);
}

