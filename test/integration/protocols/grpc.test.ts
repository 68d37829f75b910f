/**
 * The gRPC parser through the loopback relay between @grpc/grpc-js (insecure channel: h2c with prior knowledge) and
 * a grpc-js server: unary, server, client and bidi streaming, an error status, metadata; messages decoded to JSON
 * with the .proto file, sizes only without; then the recorded session split, truncated and corrupted (fast-check).
 */
import { test } from 'node:test';
import { Redactor, defaultRedaction } from '../../../src/core/capture/redact';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import * as net from 'node:net';
import fc from 'fast-check';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { definition } from '../../../src/core/protocols/grpc';
import type { WireCall } from '../../../src/core/protocols/types';
import { USERS_PROTO, startGrpcServer, usersClient, type UsersClient } from '../../helpers/grpcServer';
import { startWireRelay } from '../../helpers/wireRelay';
import { recording, replay, type Chunk } from '../../helpers/wireRecording';

type Row = Record<string, unknown>;

async function exercise(client: UsersClient): Promise<void> {
  const md = new Metadata();
  md.set('x-request-id', 'req-42');
  md.set('authorization', 'Bearer s3cret-token');
  const unary = (method: string, req: object): Promise<unknown> =>
    new Promise((resolve) => client[method](req, md, (e: ServiceError | null, res: unknown) => resolve(e ?? res)));
  assert.deepEqual(await unary('GetUser', { id: 2 }), { id: 2, name: 'user-2', created_at: '1700000000002' });
  assert.equal(((await unary('DeleteUser', { id: 7 })) as ServiceError).code, 5);
  const listed: unknown[] = [];
  await new Promise<void>((resolve, reject) => client.ListUsers({ limit: 3 }).on('data', (u: unknown) => listed.push(u)).on('end', resolve).on('error', reject));
  assert.equal(listed.length, 3);
  const summary = await new Promise((resolve, reject) => {
    const call = client.CreateUsers((e: ServiceError | null, res: unknown) => (e ? reject(e) : resolve(res)));
    for (const id of [10, 11, 12]) call.write({ id, name: `new-${id}` });
    call.end();
  });
  assert.deepEqual(summary, { created: 3 });
  const echoes: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    const chat = client.Chat();
    chat.on('data', (m: unknown) => echoes.push(m)).on('end', resolve).on('error', reject);
    chat.write({ text: 'hi' });
    chat.write({ text: 'there' });
    chat.end();
  });
  assert.equal(echoes.length, 2);
}

const byPath = (calls: WireCall[], method: string): WireCall => {
  const call = calls.find((c) => c.statement === `/chaos.users.Users/${method}`);
  assert.ok(call, `${method} recorded: ${calls.map((c) => c.statement).join(' | ')}`);
  return call;
};

const withoutTimes = (calls: WireCall[]): unknown[] => calls.map(({ startedAt: _s, ttfbMs: _t, durationMs: _d, ...rest }) => rest);

let session: Chunk[] = [];
const redactor = new Redactor(defaultRedaction(), 'salt');

test('grpc-js calls through the relay, decoded with the .proto file', async (t) => {
  const { port } = await startGrpcServer(t);
  const rec = recording(definition);
  const relay = await startWireRelay(t, rec.definition, { port }, { protoFiles: [USERS_PROTO] });
  await exercise(usersClient(t, relay.port));
  const calls = await relay.waitForCalls(5);
  assert.deepEqual(relay.failures, []);
  assert.ok(calls.every((c) => c.method === 'POST'));

  const get = byPath(calls, 'GetUser');
  assert.equal(get.status, 0);
  assert.equal(get.error, null);
  const getReq = get.request as Row;
  assert.deepEqual((getReq.metadata as Row)['x-request-id'], 'req-42');
  // The store redacts the metadata with its salted markers, as it does HTTP headers.
  const stored = redactor.body(Buffer.from(JSON.stringify(getReq)), 'application/json');
  const storedReq = JSON.parse(Buffer.from(stored.data).toString()) as Row;
  assert.equal((storedReq.metadata as Row).authorization, `Bearer ${redactor.marker('s3cret-token')}`);
  assert.ok(!JSON.stringify(storedReq).includes('s3cret'), 'the token is nowhere in the stored call');
  assert.deepEqual(getReq.decoded, [{ id: 2 }]);
  assert.equal(getReq.messages, 1);
  const getRes = get.response as Row;
  assert.deepEqual(getRes.decoded, [{ id: 2, name: 'user-2', created_at: '1700000000002' }]);
  assert.equal(getRes.httpStatus, 200);
  assert.equal((getRes.trailers as Row)['x-served-by'], 'users-1');
  assert.ok(get.ttfbMs !== null && get.durationMs !== null && get.ttfbMs <= get.durationMs);

  const del = byPath(calls, 'DeleteUser');
  assert.equal(del.status, 5);
  assert.equal(del.error, '5 NOT_FOUND: no user 7 to delete');
  assert.equal((del.response as Row).messages, 0);

  const list = byPath(calls, 'ListUsers');
  assert.deepEqual([(list.request as Row).messages, (list.response as Row).messages], [1, 3]);
  assert.deepEqual(((list.response as Row).decoded as Row[]).map((u) => u.name), ['user-1', 'user-2', 'user-3']);

  const create = byPath(calls, 'CreateUsers');
  assert.deepEqual([(create.request as Row).messages, (create.response as Row).messages], [3, 1]);
  assert.deepEqual((create.response as Row).decoded, [{ created: 3 }]);

  const chat = byPath(calls, 'Chat');
  assert.deepEqual([(chat.request as Row).messages, (chat.response as Row).messages], [2, 2]);
  assert.deepEqual((chat.response as Row).decoded, [{ text: 'echo: hi' }, { text: 'echo: there' }]);
  session = rec.sessions.find((s) => s.length > 4) ?? [];
});

test('without .proto files messages are counted and sized, not decoded', async (t) => {
  const { port } = await startGrpcServer(t);
  const relay = await startWireRelay(t, definition, { port });
  await exercise(usersClient(t, relay.port));
  const calls = await relay.waitForCalls(5);
  const get = byPath(calls, 'GetUser');
  const res = get.response as Row;
  assert.equal(res.decoded, undefined);
  assert.equal(res.messages, 1);
  assert.ok((res.sizes as number[])[0] > 10, 'the reply message size is recorded');
  assert.equal((get.request as Row).decoded, undefined);
});

test('TLS is detected and noted once, not parsed', async (t) => {
  const upstream = net.createServer((s) => s.on('error', () => undefined).end());
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  t.after(() => upstream.close());
  const relay = await startWireRelay(t, definition, { port: (upstream.address() as net.AddressInfo).port });
  await new Promise<void>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: relay.port, ALPNProtocols: ['h2'], rejectUnauthorized: false });
    s.on('error', () => resolve()).on('close', () => resolve());
  });
  const [note] = await relay.waitForCalls(1);
  assert.equal(note.method, 'TLS');
  assert.equal(relay.calls.length, 1);
});

test('fuzz: the recorded grpc-js session split, truncated and corrupted', { timeout: 20_000 }, () => {
  assert.ok(session.length > 4, 'the first test recorded a session');
  const options = { protoFiles: [USERS_PROTO] };
  const expected = withoutTimes(replay(definition, session, options).calls);
  assert.equal(expected.length, 5);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }), (cuts) => {
      assert.deepEqual(withoutTimes(replay(definition, session, { ...options, cuts }).calls), expected);
    }),
    { numRuns: 60 },
  );
  const total = session.reduce((n, c) => n + c.bytes.length, 0);
  fc.assert(
    fc.property(fc.nat(total), fc.array(fc.tuple(fc.nat(total - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (keep, flips, cuts) => {
      let left = keep;
      let offset = 0;
      const chunks = session.map((c) => {
        const bytes = Buffer.from(c.bytes);
        for (const [at, value] of flips) if (at >= offset && at < offset + bytes.length) bytes[at - offset] = value;
        offset += bytes.length;
        const take = Math.min(left, bytes.length);
        left -= take;
        return { side: c.side, bytes: bytes.subarray(0, take) };
      });
      const { parser } = replay(definition, chunks, { ...options, cuts });
      assert.ok((parser as unknown as { bufferedBytes: number }).bufferedBytes <= 4 * 1024 * 1024);
    }),
    { numRuns: 200 },
  );
});
