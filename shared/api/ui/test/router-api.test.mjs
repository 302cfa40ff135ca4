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

const since = '2026-12-01T00:00:00Z';

/** Runs recoverAll against scripted answers ({status, body}, one per call, in order);
 *  resolves to its count or error, with the [path, body] of every call made. */
async function recoverWith(answers) {
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (path, init) => {
    calls.push([path, JSON.parse(init.body)]);
    const a = answers[calls.length - 1];
    return new Response(JSON.stringify(a.body), { status: a.status });
  };
  state.memoryToken = 'token';
  try {
    return { n: await recoverAll('ep_1', since, state.gen, 0), calls };
  } catch (err) {
    return { err, calls };
  } finally {
    globalThis.fetch = realFetch;
  }
}

const ok = (body) => ({ status: 202, body });

test('recoverAll goes on from each call’s next_cursor until the recovery is complete', async () => {
  const run = await recoverWith([ok({ recovered: 10, complete: false, next_cursor: 'msg_b' }), ok({ recovered: 10, complete: false, next_cursor: 'msg_c' }), ok({ recovered: 5, complete: true })]);
  assert.deepEqual(run, {
    n: 25,
    calls: [
      ['/v1/endpoints/ep_1/recover', { since }],
      ['/v1/endpoints/ep_1/recover', { since, cursor: 'msg_b' }],
      ['/v1/endpoints/ep_1/recover', { since, cursor: 'msg_c' }],
    ],
  });
});

test('recoverAll makes a call cut short by the deadline or busy again from the same cursor, three times in a row at most', async () => {
  const problem = (code) => ({ status: 503, body: { type: `urn:problem:${code}`, code, status: 503 } });
  const cursors = (run) => run.calls.map(([, body]) => body.cursor);
  const cut = await recoverWith([ok({ recovered: 10, complete: false, next_cursor: 'msg_b' }), problem('timeout'), problem('busy'), ok({ recovered: 5, complete: true })]);
  assert.equal(cut.n, 15);
  assert.deepEqual(cursors(cut), [undefined, 'msg_b', 'msg_b', 'msg_b']);
  const stuck = await recoverWith([problem('timeout'), problem('timeout'), problem('busy'), problem('timeout'), ok({ recovered: 5, complete: true })]);
  assert.equal(stuck.err.status, 503);
  assert.equal(stuck.calls.length, 4);
  const refused = await recoverWith([{ status: 400, body: { code: 'validation', status: 400 } }]);
  assert.equal(refused.err.status, 400);
  assert.equal(refused.calls.length, 1);
});
