// Translation: t() and the API's error codes as French and English text.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { state } from '../state.js';
import { t, hasKey, fill, fieldErrorText, problemText } from '../i18n.js';
import fr from '../i18n-fr.js';
import en from '../i18n-en.js';

beforeEach(() => {
  state.lang = 'fr';
});

test('both tables have the same keys, of the same kind', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(fr).sort());
  for (const k of Object.keys(fr)) assert.equal(typeof en[k], typeof fr[k], k);
});

test('t() in the current language, functions take arguments, unknown keys show as is', () => {
  assert.equal(t('list.title'), 'Points de terminaison');
  assert.equal(t('list.count', 3), '3 points de terminaison');
  state.lang = 'en';
  assert.equal(t('list.title'), 'Endpoints');
  assert.equal(t('list.count', 1), '1 endpoint');
  assert.equal(t('no.such.key'), 'no.such.key');
  assert.equal(hasKey('fail.dns'), true);
  assert.equal(hasKey('fail.nope'), false);
});

test('fill() substitutes params, joins lists, and refuses a missing one', () => {
  assert.equal(fill('{a} et {b}', { a: 1, b: ['x', 'y'] }), '1 et x, y');
  assert.equal(fill('{a} et {b}', { a: 1 }), null);
  assert.equal(fill('sans paramètre', undefined), 'sans paramètre');
});

// Every code of the API contract, with the params it carries.
const CODES = {
  'url.too_long': { max: 2048 },
  'url.not_absolute': { detail: 'relative URL without a base' },
  'url.https_required': {},
  'url.scheme': {},
  'url.no_host': {},
  'url.credentials': {},
  'url.fragment': {},
  'url.non_public': { range: 'loopback' },
  'description.too_long': { max: 500 },
  'event_types.count': { min: 1, max: 50 },
  'event_types.unknown': { value: 'NOPE' },
  'headers.too_many': { max: 10 },
  'headers.name_invalid': { max: 64 },
  'headers.reserved': {},
  'headers.value_invalid': { max: 1000 },
  'headers.duplicate': {},
  'filter.too_long': { max: 1000 },
  'filter.empty': {},
  'filter.syntax': { line: 1, column: 7, detail: 'unexpected token' },
  'filter.unknown_variable': { name: 'foo', allowed: ['event_type', 'event_data'] },
  'filter.invalid': { detail: 'could not be parsed' },
  'event_type.unknown': { value: 'NOPE' },
  'event_data.not_object': {},
  'event_data.schema': { pointer: '/amount', rule: 'type', detail: 'is not a number' },
  'event_id.invalid': { max: 255 },
  'tenant_id.invalid': {},
  'recipients.too_many': { max: 10 },
  'recipients.invalid_email': {},
  'events.unknown': { allowed: 'WEBHOOK_ENDPOINT_FAILING, WEBHOOK_MESSAGE_FAILED' },
  'body.too_large': { max: 262144 },
  'json.invalid': { detail: 'expected value at line 1 column 1' },
  'query.invalid': { detail: 'invalid digit' },
  'status.unknown': {},
  'cursor.invalid': {},
  'limit.out_of_range': { min: 1, max: 100 },
  'hours.out_of_range': { min: 1, max: 168 },
  'event_data.too_large': { max: 65536 },
};

// The server's lists of codes (Rust sources), so a new code cannot ship without words.
const listed = (file, name) => {
  const src = readFileSync(new URL(file, import.meta.url), 'utf8');
  const body = src.slice(src.indexOf(`pub const ${name}`)).split('];')[0];
  return [...body.matchAll(/"([a-z_.]+)"/g)].map((m) => m[1]);
};

test('every field error code the server lists is worded here', () => {
  const codes = listed('../../../core/src/error.rs', 'FIELD_CODES');
  assert.ok(codes.length > 30, codes.join());
  for (const code of codes) assert.ok(Object.hasOwn(CODES, code), `${code} has no test (and maybe no words)`);
});

test('every problem code has a sentence, or a detail worth showing as is', () => {
  const detailed = ['validation', 'not_found', 'too_large', 'unauthenticated', 'forbidden', 'method_not_allowed'];
  for (const code of listed('../../src/problem.rs', 'PROBLEM_CODES')) {
    assert.ok(problemText({ code, detail: 'd' }) !== null || detailed.includes(code), code);
  }
});

for (const lang of ['fr', 'en']) {
  test(`every field error code has its own ${lang} text, with its params`, () => {
    for (const [code, params] of Object.entries(CODES)) {
      const text = fieldErrorText({ field: 'x', code, message: 'ENGLISH FALLBACK', params }, lang);
      assert.notEqual(text, 'ENGLISH FALLBACK', code);
      assert.doesNotMatch(text, /\{|\}|undefined|null/, `${code}: ${text}`);
      for (const [k, v] of Object.entries(params)) {
        if (k !== 'pointer') assert.ok(text.includes(Array.isArray(v) ? v.join(', ') : String(v)), `${code} shows ${k}: ${text}`);
      }
    }
  });
}

test('field errors in French and English', () => {
  const e = { field: 'url', code: 'url.credentials', message: 'must not contain credentials' };
  assert.match(fieldErrorText(e), /identifiants/);
  assert.match(fieldErrorText(e, 'en'), /credentials/);
  const range = { field: 'url', code: 'url.non_public', message: 'x', params: { range: 'loopback' } };
  assert.equal(fieldErrorText(range), 'ne doit pas viser une adresse non publique (loopback)');
  assert.equal(fieldErrorText({ field: 'event_types', code: 'event_types.count', message: 'x', params: { min: 1, max: 50 } }), 'doit comporter entre 1 et 50 types d’événements');
});

test('any field’s `.too_large`, `.too_long`, `.not_object`, `.out_of_range` are known by their suffix', () => {
  assert.equal(fieldErrorText({ field: 'payload', code: 'payload.too_large', message: 'x', params: { max: 10 } }), 'dépasse 10 octets');
  assert.equal(fieldErrorText({ field: 'name', code: 'name.too_long', message: 'x', params: { max: 64 } }), '64 caractères au plus');
  assert.equal(fieldErrorText({ field: 'example', code: 'example.not_object', message: 'x' }, 'en'), 'must be a JSON object');
  assert.equal(fieldErrorText({ field: 'limit', code: 'limit.out_of_range', message: 'x', params: { min: 1, max: 100 } }, 'en'), 'must be between 1 and 100');
});

test('an unknown or absent code, or a missing param, falls back to the English message', () => {
  assert.equal(fieldErrorText({ field: 'url', code: 'url.brand_new', message: 'is new' }), 'is new');
  assert.equal(fieldErrorText({ field: 'url', message: 'must not contain credentials' }), 'must not contain credentials');
  assert.equal(fieldErrorText({ field: 'url', code: 'url.too_long', message: 'must be at most 2048 characters' }), 'must be at most 2048 characters');
  assert.equal(fieldErrorText({ field: 'x', code: 'toString', message: 'm' }), 'm');
  assert.equal(fieldErrorText({ field: 'x', code: '.too_large', message: 'm' }), 'm');
});

test('problem codes with a fixed meaning have a sentence; the others keep their detail', () => {
  assert.match(problemText({ code: 'conflict', detail: 'the resource was modified concurrently' }), /modifiée/);
  assert.match(problemText({ code: 'busy' }, 'en'), /busy/);
  assert.equal(problemText({ code: 'bad_body', detail: 'EOF' }, 'en'), 'The request body could not be read (EOF).');
  assert.equal(problemText({ code: 'bad_body' }), null);
  assert.equal(problemText({ code: 'invalid_state', detail: 'only a failed message can be replayed' }), null);
  assert.equal(problemText({ code: 'message.not_failed', detail: 'only a failed message can be replayed' }), 'Seul un message en échec peut être rejoué.');
  assert.equal(problemText({ detail: 'old server' }), null);
});
