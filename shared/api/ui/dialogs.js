// Dialogs on the native <dialog>: focus moves in, Escape closes, focus goes back to the opener.
import { t } from './i18n.js';
import { h, s, nextId } from './dom.js';

export function openDialog({ title, body, actions, wide, onClose, labelledBy }) {
  const opener = document.activeElement;
  const titleId = labelledBy || nextId('dlg-title');
  const dlg = h('dialog', { class: `dialog ${wide ? 'dialog-wide' : ''}`, 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleId, class: 'dialog-title', text: title }),
      h('button', { type: 'button', class: 'btn btn-icon dialog-x', 'aria-label': t('close'), onclick: () => dlg.close('cancel') },
        s('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true' }, s('path', { d: 'M6 6l12 12M18 6L6 18' })))),
    h('div', { class: 'dialog-body' }, body),
    actions ? h('div', { class: 'dialog-actions' }, actions) : null);
  dlg.addEventListener('close', () => {
    dlg.remove();
    if (onClose) onClose(dlg.returnValue);
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  });
  // Clicking the backdrop closes the dialog.
  dlg.addEventListener('click', (e) => {
    if (e.target === dlg) dlg.close('cancel');
  });
  document.body.append(dlg);
  dlg.showModal();
  const auto = dlg.querySelector('[data-autofocus]');
  if (auto) auto.focus();
  return dlg;
}

export function confirmDialog({ title, body, confirmLabel, danger }) {
  return new Promise((resolve) => {
    let dlg = null;
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', 'data-autofocus': true, text: t('cancel'), onclick: () => dlg.close('cancel') });
    const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-confirm': true, text: confirmLabel, onclick: () => dlg.close('ok') });
    dlg = openDialog({
      title,
      body: h('p', { text: body }),
      actions: [cancel, ok],
      onClose: (v) => resolve(v === 'ok'),
    });
    dlg.setAttribute('role', 'alertdialog');
  });
}

