// Notifications screen: who is mailed about which operational events, and the latest mails.
import { alive } from './state.js';
import { t } from './i18n.js';
import { fmtDate } from './format.js';
import { h, spinner, nextId, root, setTitle } from './dom.js';
import { api, enc, errorText, isHandled } from './api.js';
import { rerender } from './router.js';
import { breadcrumb, focusHeading, showError } from './page.js';

const OPERATIONAL_TYPES = ['WEBHOOK_ENDPOINT_FAILING', 'WEBHOOK_ENDPOINT_DISABLED', 'WEBHOOK_MESSAGE_FAILED'];

export async function viewNotifications(route, g, moveFocus) {
  setTitle(t('notif.title'));
  const body = h('div', { 'aria-busy': 'true' }, spinner());
  root().replaceChildren(breadcrumb([{ text: t('notif.title') }]),
    h('div', { class: 'page-head' }, h('div', null, h('h1', { text: t('notif.title') }), h('p', { class: 'muted page-intro', text: t('notif.intro') }))),
    body);
  focusHeading(moveFocus);
  let settings;
  let history;
  try {
    [settings, history] = await Promise.all([api('GET', '/v1/notifications'), api('GET', '/v1/notifications/history?limit=20')]);
  } catch (err) {
    return showError(err, g, { retry: () => rerender() });
  }
  if (!alive(g)) return;
  body.removeAttribute('aria-busy');
  const toId = nextId('recipients');
  const recipients = h('textarea', { id: toId, name: 'recipients', class: 'input textarea input-mono', rows: 3, 'aria-describedby': `${toId}-hint ${toId}-err`, spellcheck: 'false' });
  recipients.value = (settings.recipients || []).join('\n');
  const toErr = h('p', { id: `${toId}-err`, class: 'field-error', hidden: true });
  const boxes = OPERATIONAL_TYPES.map((ty) => {
    const cb = h('input', { type: 'checkbox', id: nextId('ev'), name: 'events', value: ty, class: 'checkbox' });
    cb.checked = (settings.events || []).includes(ty);
    return cb;
  });
  const langSel = h('select', { id: nextId('mail-lang'), name: 'language', class: 'input input-narrow' },
    h('option', { value: 'fr', text: 'Français' }), h('option', { value: 'en', text: 'English' }));
  langSel.value = settings.language || 'fr';
  const saved = h('p', { class: 'alert alert-ok', role: 'status', hidden: true, text: t('notif.saved') });
  const form = h('form', { class: 'panel form', novalidate: true, 'data-testid': 'notifications-form' },
    h('div', { class: 'field' },
      h('label', { for: toId, class: 'label', text: t('notif.recipients') }), recipients,
      h('p', { id: `${toId}-hint`, class: 'hint', text: t('notif.recipientsHint') }), toErr),
    h('fieldset', { class: 'field fieldset' }, h('legend', { class: 'label', text: t('notif.events') }),
      boxes.map((cb) => h('label', { class: 'type-option check-row', for: cb.id }, cb, h('span', { class: 'check-text' }, h('code', { class: 'code-inline', text: cb.value }), ' ', t(`notif.ev.${cb.value}`))))),
    h('div', { class: 'field' }, h('label', { for: langSel.id, class: 'label', text: t('notif.language') }), langSel),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-notifications', text: t('notif.save') })),
    saved);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    saved.hidden = true;
    toErr.hidden = true;
    const next = {
      recipients: recipients.value.split(/[\n,;]/).map((x) => x.trim()).filter(Boolean),
      events: boxes.filter((cb) => cb.checked).map((cb) => cb.value),
      language: langSel.value,
    };
    try {
      const out = await api('PUT', '/v1/notifications', next);
      recipients.value = out.recipients.join('\n');
      saved.hidden = false;
    } catch (err) {
      if (!alive(g) || isHandled(err)) return;
      const bad = (err.errors || []).map((x) => {
        const i = /^recipients\[(\d+)\]$/.exec(x.field || '');
        return i ? next.recipients[Number(i[1])] : null;
      }).filter(Boolean);
      toErr.textContent = bad.length ? t('notif.invalid', bad.join(', ')) : errorText(err);
      toErr.hidden = false;
      recipients.setAttribute('aria-invalid', 'true');
      recipients.focus();
    }
  });
  const rows = (history.data || []).map((n) => h('tr', { 'data-notification': n.message_id },
    h('td', { 'data-label': t('notif.col.date') }, fmtDate(n.created_at)),
    h('td', { 'data-label': t('notif.col.subject') }, h('a', { href: `#/endpoints/${enc(n.endpoint_id)}`, text: n.subject })),
    h('td', { 'data-label': t('notif.col.to') }, (n.recipients || []).join(', ')),
    h('td', { 'data-label': t('notif.col.status') },
      h('span', { class: `badge ${n.status === 'failed' ? 'badge-failed' : n.status === 'sent' ? 'badge-delivered' : 'badge-pending'}`, title: n.status === 'logged' ? t('notif.status.loggedTitle') : (n.error || null), text: t(`notif.status.${n.status}`) }),
      n.error ? h('p', { class: 'att-why', text: n.error }) : null)));
  body.replaceChildren(form,
    h('h2', { class: 'panel-title section-title', text: t('notif.history') }),
    rows.length
      ? h('div', { class: 'panel table-panel' }, h('table', { class: 'table', 'data-testid': 'notification-history' },
        h('thead', null, h('tr', null, ['notif.col.date', 'notif.col.subject', 'notif.col.to', 'notif.col.status'].map((k) => h('th', { scope: 'col', text: t(k) })))),
        h('tbody', null, rows)))
      : h('p', { class: 'panel state', 'data-testid': 'notification-history-none', text: t('notif.historyNone') }));
}
