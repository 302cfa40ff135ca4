// Formatting helpers: relative times, durations, numbers, failures, disabled reasons.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { state } from '../state.js';
import { fmtDate, fmtIn, fmtDuration, fmtInt, toLocalInput, failureText, explainFailure, failText, disabledReasonText, groupOf, typeDescription } from '../format.js';

beforeEach(() => {
  state.lang = 'fr';
});

const now = Date.parse('2026-03-01T12:00:00Z');
const later = (ms) => new Date(now + ms).toISOString();

test('fmtIn: seconds, minutes, hours and minutes, days and hours, or now', () => {
  assert.equal(fmtIn(later(42_000), now), 'dans 42 s');
  assert.equal(fmtIn(later(5 * 60_000), now), 'dans 5 min');
  assert.equal(fmtIn(later((22 * 60 + 11) * 60_000), now), 'dans 22 h 11 min');
  assert.equal(fmtIn(later((4 * 24 + 3) * 3600_000), now), 'dans 4 j 3 h');
  assert.equal(fmtIn(later(-1), now), 'imminente');
  assert.equal(fmtIn('not a date', now), 'not a date');
  state.lang = 'en';
  assert.equal(fmtIn(later((4 * 24 + 3) * 3600_000), now), 'in 4 d 3 h');
  assert.equal(fmtIn(later(0), now), 'due now');
});

test('fmtDuration: milliseconds under a second, else seconds to a tenth', () => {
  assert.equal(fmtDuration(null), '—');
  assert.equal(fmtDuration(850), '850 ms');
  assert.equal(fmtDuration(1530), '1,5 s');
  state.lang = 'en';
  assert.equal(fmtDuration(1530), '1.5 s');
});

test('fmtInt groups thousands by locale, and reads a missing number as 0', () => {
  assert.equal(fmtInt(undefined), '0');
  assert.match(fmtInt(12345), /^12\s345$/u);
  state.lang = 'en';
  assert.equal(fmtInt(12345), '12,345');
});

test('fmtDate: a dash for nothing, the text of a non-date', () => {
  assert.equal(fmtDate(null), '—');
  assert.equal(fmtDate('soon'), 'soon');
  assert.match(fmtDate('2026-03-01T12:00:00Z'), /2026/);
});

test('toLocalInput: the value of a datetime-local input', () => {
  assert.equal(toLocalInput(new Date(2026, 0, 2, 3, 4, 5)), '2026-01-02T03:04');
});

test('failures: known kinds translated, unknown ones as sent, explanations from code or kind', () => {
  assert.equal(failureText('dns'), 'Nom d’hôte introuvable (DNS)');
  assert.equal(failureText('quantum'), 'quantum');
  assert.match(explainFailure(500, 'http_status'), /^Votre serveur a rencontré une erreur interne/);
  assert.equal(explainFailure(401, 'http_status'), explainFailure(403, null));
  assert.match(explainFailure(null, 'timeout'), /10 secondes/);
  assert.match(explainFailure(302, 'http_status'), /redirection/);
  assert.equal(explainFailure(200, null), null);
  assert.equal(explainFailure(null, 'quantum'), null);
  assert.equal(failText(500, null), 'Dernière réponse : HTTP 500');
  assert.equal(failText(null, 'dns'), 'Dernière erreur : Nom d’hôte introuvable (DNS)');
  assert.equal(failText(null, null), '—');
});

test('disabled reasons: codes worded, with the failing date; older text as is', () => {
  const failing = { disabled_reason: 'failing', failing_since: '2026-03-01T12:00:00Z' };
  assert.match(disabledReasonText(failing), /^Désactivé automatiquement : aucune livraison réussie depuis le .*2026/);
  assert.equal(disabledReasonText({ disabled_reason: 'failing' }), 'Désactivé automatiquement : aucune livraison ne réussissait');
  assert.equal(disabledReasonText({ disabled_reason: 'manual' }), 'Désactivé par un administrateur');
  assert.equal(disabledReasonText({ disabled_reason: 'désactivé automatiquement : …' }), 'désactivé automatiquement : …');
  assert.equal(disabledReasonText({ disabled_reason: null }), '');
  state.lang = 'en';
  assert.match(disabledReasonText(failing), /^Disabled automatically: no successful delivery since .*2026/);
  assert.equal(disabledReasonText({ disabled_reason: 'manual' }), 'Disabled by an administrator');
});

test('groupOf and typeDescription', () => {
  assert.equal(groupOf('INVOICE_PAID'), 'INVOICE');
  assert.equal(groupOf('WEBHOOK_MESSAGE_FAILED'), 'WEBHOOK');
  assert.equal(groupOf('CUSTOM_THING'), 'other');
  const list = [{ name: 'A', description: { fr: 'Un', en: 'One' } }, { name: 'B', description: { fr: 'Deux' } }];
  assert.equal(typeDescription('A', list), 'Un');
  state.lang = 'en';
  assert.equal(typeDescription('A', list), 'One');
  assert.equal(typeDescription('B', list), 'Deux');
  assert.equal(typeDescription('C', list), '');
});
