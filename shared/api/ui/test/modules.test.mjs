// Every module but the entry loads without a browser (nothing touches the DOM at import),
// and a few pure helpers of the DOM-building modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonTokens, schemaType } from '../payload.js';
import { niceMax } from '../chart.js';

const dir = fileURLToPath(new URL('..', import.meta.url));

test('modules import without a DOM', async () => {
  const mods = readdirSync(dir).filter((f) => f.endsWith('.js') && f !== 'app.js');
  assert.ok(mods.length > 10);
  for (const f of mods) await import(new URL(`../${f}`, import.meta.url));
});

test('jsonTokens spell JSON.stringify(v, null, 2), with typed tokens', () => {
  const v = { a: [1, 'two', null, true, {}], b: { c: [] }, 'odd "key"': -0.5 };
  const parts = jsonTokens(v);
  assert.equal(parts.map((p) => (typeof p === 'string' ? p : p.text)).join(''), JSON.stringify(v, null, 2));
  const classes = parts.filter((p) => typeof p !== 'string').map((p) => p.cls);
  assert.deepEqual([...new Set(classes)].sort(), ['j-bool', 'j-key', 'j-null', 'j-num', 'j-str']);
});

test('schema types as shown in a contract', () => {
  assert.equal(schemaType({ type: 'string', format: 'date' }), 'string (date)');
  assert.equal(schemaType({ type: ['number', 'null'] }), 'number | null');
  assert.equal(schemaType({ anyOf: [{ type: 'string' }, { type: 'integer' }] }), 'string | integer');
});

test('chart axis tops', () => {
  assert.deepEqual([0, 3, 5, 7, 11, 19, 21, 26, 49, 51, 99, 101].map(niceMax), [4, 4, 10, 10, 20, 20, 50, 50, 50, 100, 100, 200]);
});
