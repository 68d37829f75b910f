/**
 * gRPC through the real capture proxy (`chaos-testing observe --protocol grpc --proto FILE`, the built CLI): a
 * grpc-js client's unary call is stored with its path, status and the messages decoded from the .proto file.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { ServiceError } from '@grpc/grpc-js';
import { CLI, queryStore, tmpDir, waitFor } from '../../helpers';
import { USERS_PROTO, startGrpcServer, usersClient } from '../../helpers/grpcServer';

test('observe --protocol grpc --proto stores each call with its messages decoded', { timeout: 60_000 }, async (t) => {
  const server = await startGrpcServer(t);
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const proc = spawn(process.execPath, [CLI, 'observe', '--quiet', '--output', db, '--protocol', 'grpc', '--port', '0', '--target', `127.0.0.1:${server.port}`, '--proto', USERS_PROTO], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => void (proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL')));
  await waitFor(() => /listening on 127\.0\.0\.1:\d+/.test(err) || proc.exitCode !== null, 15_000, 'observe to start');
  const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(err)?.[1]);
  assert.ok(port > 0, err);

  const client = usersClient(t, port);
  const user = await new Promise<unknown>((resolve, reject) => client.GetUser({ id: 2 }, (e: ServiceError | null, res: unknown) => (e ? reject(e) : resolve(res))));
  assert.deepEqual(user, { id: 2, name: 'user-2', created_at: '1700000000002' });
  client.close();
  proc.kill('SIGINT');
  assert.equal(await exited, 0, err);

  const rows = await queryStore(db, "SELECT protocol, method, url, status, CAST(rb.data AS TEXT) AS req, CAST(sb.data AS TEXT) AS res FROM exchanges e LEFT JOIN bodies rb ON rb.hash = e.request_body_hash LEFT JOIN bodies sb ON sb.hash = e.response_body_hash WHERE protocol = 'grpc'");
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.deepEqual([rows[0].method, rows[0].url, rows[0].status], ['POST', '/chaos.users.Users/GetUser', 0]);
  assert.match(String(rows[0].req), /"id":\s*2/);
  assert.match(String(rows[0].res), /"name":\s*"user-2"/);
});

test('observe --proto without --protocol grpc is a one-line usage error', async (t) => {
  const { runCli } = await import('../../helpers');
  const r = runCli(['observe', '--protocol', 'redis', '--port', '0', '--target', '127.0.0.1:6379', '--proto', USERS_PROTO], { cwd: tmpDir(t) });
  assert.equal(r.code, 2);
  assert.match(r.stderr.trim(), /^chaos-testing: --proto is for --protocol grpc/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
