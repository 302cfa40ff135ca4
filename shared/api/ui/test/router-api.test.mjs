// Routes from the location hash, the portal link's token, and API errors as text.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { state } from '../state.js';
import { parseRoute, routeKey } from '../router.js';
import { ApiError, errorText, fieldLine, recoverAll, tokenFromFragment } from '../api.js';

beforeEach(() => {
  state.lang = 'fr';
});

test('routes', () => {
  assert.deepEqual(parseRoute(''), { name: 'root' });
  assert.deepEqual(parseRoute('#/endpoints'), { name: 'list' });
  assert.deepEqual(parseRoute('#/endpoints/new'), { name: 'create' });
  assert.deepEqual(parseRoute('#/endpoints/ep_1?msg=msg_2'), { name: 'detail', id: 'ep_1', msg: 'msg_2' });
  assert.deepEqual(parseRoute('#/endpoints/ep%201'), { name: 'detail', id: 'ep 1', msg: null });
  assert.deepEqual(parseRoute('#/endpoints/ep_1/edit'), { name: 'edit', id: 'ep_1' });
  assert.deepEqual(parseRoute('#/endpoints/ep_1/secret'), { name: 'secret', id: 'ep_1' });
  assert.deepEqual(parseRoute('#/search?event_id=FA-1'), { name: 'search', id: 'FA-1' });
  assert.deepEqual(parseRoute('#/failed'), { name: 'failed' });
  assert.deepEqual(parseRoute('#/notifications'), { name: 'notifications' });
  assert.deepEqual(parseRoute('#/elsewhere'), { name: 'notfound' });
  assert.deepEqual(parseRoute('#/endpoints/a/b/c'), { name: 'notfound' });
  assert.equal(routeKey({ name: 'detail', id: 'ep_1', msg: 'x' }), 'detail:ep_1');
});

test('the portal link’s token', () => {
  assert.equal(tokenFromFragment('#token=abc%20def'), 'abc def');
  assert.equal(tokenFromFragment('#lang=fr&token=t1'), 't1');
  assert.equal(tokenFromFragment('#token=%E0%A4%A'), '%E0%A4%A');
  assert.equal(tokenFromFragment('#/endpoints'), undefined);
  assert.equal(tokenFromFragment('#other=1'), undefined);
});

const validation = (errors) => new ApiError(400, { code: 'validation', title: 'Invalid request', detail: 'url: must not contain credentials', errors });

test('errorText: field errors translated by code, or their message from an older server', () => {
  const coded = validation([{ field: 'url', code: 'url.credentials', message: 'must not contain credentials' }, { field: 'event_types[0]', code: 'event_types.unknown', message: 'unknown event type "X"', params: { value: 'X' } }]);
  assert.equal(errorText(coded), 'url : ne doit pas contenir d’identifiants (utilisateur:mot de passe@) ; event_types[0] : type d’événement inconnu « X »');
  state.lang = 'en';
  assert.equal(errorText(coded), 'url: must not contain credentials (user:password@); event_types[0]: unknown event type “X”');
  const old = validation([{ field: 'url', message: 'must not contain credentials' }]);
  assert.equal(errorText(old), 'url: must not contain credentials');
  assert.equal(fieldLine({ message: 'no field' }), 'no field');
});

test('errorText: problem codes, then detail, title, status', () => {
  assert.match(errorText(new ApiError(409, { code: 'conflict', detail: 'the resource was modified concurrently' })), /rechargez/);
  assert.equal(errorText(new ApiError(409, { code: 'invalid_state', detail: 'only a failed message can be replayed' })), 'only a failed message can be replayed');
  assert.equal(errorText(new ApiError(500, { title: 'Internal error' })), 'Internal error');
  assert.equal(errorText(new ApiError(502, null)), 'Erreur inattendue (HTTP 502).');
  assert.equal(errorText(new ApiError(403, { code: 'forbidden', detail: 'tenant DEV only' })), 'Accès refusé : votre jeton ne permet pas cette action. (tenant DEV only)');
  assert.equal(errorText(new ApiError(404, { code: 'not_found', detail: 'endpoint not found' }), 'endpoint'), 'Ce point de terminaison n’existe pas ou a été supprimé.');
  assert.equal(errorText(new Error('boom')), 'boom');
});

test('recoverAll goes on from each call’s next_cursor until the recovery is complete', async () => {
  const answers = [
    { recovered: 10, complete: false, next_cursor: 'msg_b' },
    { recovered: 10, complete: false, next_cursor: 'msg_c' },
    { recovered: 5, complete: true },
  ];
  const bodies = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (path, init) => {
    bodies.push([path, JSON.parse(init.body)]);
    return new Response(JSON.stringify(answers[bodies.length - 1]), { status: 202 });
  };
  state.memoryToken = 'token';
  try {
    assert.equal(await recoverAll('ep_1', '2026-12-01T00:00:00Z', state.gen), 25);
  } finally {
    globalThis.fetch = realFetch;
  }
  const since = '2026-12-01T00:00:00Z';
  assert.deepEqual(bodies, [
    ['/v1/endpoints/ep_1/recover', { since }],
    ['/v1/endpoints/ep_1/recover', { since, cursor: 'msg_b' }],
    ['/v1/endpoints/ep_1/recover', { since, cursor: 'msg_c' }],
  ]);
});

test('recoverAll makes a call cut short by the deadline again from the same cursor, three times at most', async () => {
  const timeout = { status: 503, body: { type: 'urn:problem:timeout', code: 'timeout', status: 503 } };
  const ok = (body) => ({ status: 202, body });
  const run = async (answers) => {
    const bodies = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (path, init) => {
      bodies.push(JSON.parse(init.body).cursor);
      const a = answers[bodies.length - 1];
      return new Response(JSON.stringify(a.body), { status: a.status });
    };
    state.memoryToken = 'token';
    try {
      return { n: await recoverAll('ep_1', '2026-12-01T00:00:00Z', state.gen, 0), cursors: bodies };
    } catch (err) {
      return { err, cursors: bodies };
    } finally {
      globalThis.fetch = realFetch;
    }
  };
  const cut = await run([ok({ recovered: 10, complete: false, next_cursor: 'msg_b' }), timeout, timeout, ok({ recovered: 5, complete: true })]);
  assert.deepEqual(cut, { n: 15, cursors: [undefined, 'msg_b', 'msg_b', 'msg_b'] });
  const stuck = await run([timeout, timeout, timeout, timeout, ok({ recovered: 5, complete: true })]);
  assert.equal(stuck.err.status, 503);
  assert.equal(stuck.cursors.length, 4);
  const refused = await run([{ status: 400, body: { code: 'validation', status: 400 } }]);
  assert.equal(refused.err.status, 400);
  assert.equal(refused.cursors.length, 1);
});
