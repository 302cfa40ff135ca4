// The endpoint form's pure logic: checks, error routing, bodies, groups, CEL, headers.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { state } from '../state.js';
import { initialValues, validateEndpoint, formFieldOf, endpointBody, typeGroups, fieldRef, celCondition, addCondition, exampleFields, headerValues } from '../form-logic.js';

beforeEach(() => {
  state.lang = 'fr';
});

const blank = { url: '', description: '', types: [], enabled: true, filter: '', headers: {} };

test('initial values: a draft first, else the endpoint, else blank', () => {
  assert.deepEqual(initialValues(null, null), blank);
  const ep = { url: 'https://a.example', description: null, event_types: ['X'], enabled: false, filter: null, headers: { k: 'v' } };
  assert.deepEqual(initialValues(ep, null), { url: 'https://a.example', description: '', types: ['X'], enabled: false, filter: '', headers: { k: 'v' } });
  const draft = { ...blank, url: 'typed' };
  assert.equal(initialValues(ep, draft), draft);
});

test('client-side checks: URL required and http(s) with a host, description length, a type', () => {
  assert.deepEqual(validateEndpoint(blank).map((e) => [e.field, e.message]), [
    ['url', 'Saisissez l’URL du point de terminaison.'],
    ['event_types', 'Cochez au moins un type d’événement.'],
  ]);
  const ok = { ...blank, url: 'https://erp.example.com/hook', types: ['INVOICE_PAID'] };
  assert.deepEqual(validateEndpoint(ok), []);
  assert.deepEqual(validateEndpoint({ ...ok, url: 'ftp://example.com/hook' }).map((e) => e.field), ['url']);
  assert.deepEqual(validateEndpoint({ ...ok, url: 'not a url' }).map((e) => e.field), ['url']);
  assert.deepEqual(validateEndpoint({ ...ok, description: 'é'.repeat(500) }), []);
  assert.deepEqual(validateEndpoint({ ...ok, description: 'é'.repeat(501) }).map((e) => e.field), ['description']);
});

test('server errors go to the form field they name', () => {
  const known = ['url', 'description', 'event_types', 'filter', 'headers'];
  assert.equal(formFieldOf('event_types[2]', known), 'event_types');
  assert.equal(formFieldOf('headers.x-api-key', known), 'headers');
  assert.equal(formFieldOf('url', known), 'url');
  assert.equal(formFieldOf('tenant_id', known), null);
  assert.equal(formFieldOf(undefined, known), null);
});

test('request bodies: creation always enabled, an empty filter as null', () => {
  const v = { url: 'u', description: 'd', types: ['T'], enabled: false, filter: '', headers: {} };
  assert.deepEqual(endpointBody(v, false), { url: 'u', description: 'd', event_types: ['T'], enabled: true, filter: null, headers: {} });
  assert.deepEqual(endpointBody({ ...v, filter: 'true' }, true), { url: 'u', description: 'd', event_types: ['T'], enabled: false, filter: 'true', headers: {} });
});

test('type groups by prefix, with types the catalog lost kept under other', () => {
  const types = [{ name: 'INVOICE_PAID' }, { name: 'CONTRACT_CREATED' }, { name: 'ODD_ONE' }, { name: 'INVOICE_VALIDATED' }];
  const groups = typeGroups(types, ['GONE_TYPE', 'INVOICE_PAID']);
  assert.deepEqual([...groups.keys()], ['INVOICE', 'CONTRACT', 'other']);
  assert.deepEqual(groups.get('INVOICE').map((x) => x.name), ['INVOICE_PAID', 'INVOICE_VALIDATED']);
  assert.deepEqual(groups.get('other').map((x) => x.name), ['ODD_ONE', 'GONE_TYPE']);
});

test('CEL conditions from the builder', () => {
  assert.equal(fieldRef('invoice_id'), 'event_data.invoice_id');
  assert.equal(fieldRef('odd name'), 'event_data["odd name"]');
  assert.equal(celCondition('invoice_id', 'eq', 'FA-0', 'FA-1'), 'event_data.invoice_id == "FA-0"');
  assert.equal(celCondition('invoice_id', 'contains', ' FA- ', 'FA-1'), 'event_data.invoice_id.contains("FA-")');
  assert.equal(celCondition('agency', 'in', 'AG-75, AG-69', 'AG-1'), 'event_data.agency in ["AG-75", "AG-69"]');
  assert.equal(celCondition('amount', 'ge', '100', 12.5), 'double(event_data.amount) >= 100.0');
  assert.equal(celCondition('amount', 'le', '99.5', 12.5), 'double(event_data.amount) <= 99.5');
  assert.equal(celCondition('amount', 'ne', 'abc', 1), 'double(event_data.amount) != "abc"');
  assert.equal(celCondition('amount', 'in', '1, 2.5', 1), 'event_data.amount in [1.0, 2.5]');
  assert.equal(celCondition('x', 'has', '', 'y'), 'has(event_data.x)');
  assert.equal(addCondition('  ', 'a == 1'), 'a == 1');
  assert.equal(addCondition(' b ', 'a == 1'), 'b && a == 1');
});

test('builder fields: first example value of each field', () => {
  const fields = exampleFields([{ example: { a: 1, b: 'x' } }, { example: { a: 'later', c: true } }, {}]);
  assert.deepEqual(fields, { a: 1, b: 'x', c: true });
});

test('header values: an empty value keeps the saved one, nameless rows dropped', () => {
  assert.deepEqual(headerValues([
    { name: ' x-api-key ', value: 'new' },
    { name: 'x-kept', value: '', kept: '••••' },
    { name: '', value: 'orphan' },
    { name: 'x-empty', value: '' },
  ]), { 'x-api-key': 'new', 'x-kept': '••••', 'x-empty': '' });
});
