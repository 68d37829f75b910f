/** `chaos-testing proxy` and `chaos-testing fault ...` through the built CLI (run `node scripts/build.mjs` first). */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { test } from 'node:test';
import { echoServer, listen, runCli, runCliAsync, startProxyCli } from '../helpers';

/** Round trip of one message; resolves with the reply and the time, or the error code. */
function roundTrip(port: number, text: string): Promise<{ reply: string; ms: number; code?: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let reply = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    const done = (code?: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ reply, ms: Date.now() - started, code });
    };
    const timer = setTimeout(() => done('TIMEOUT'), 5000);
    s.on('data', (c: Buffer) => {
      reply += c.toString();
      if (reply.length >= text.length) done();
    });
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code));
  });
}

test('proxy and fault verbs: add, list, rm, down, up, reset, errors', async (t) => {
  const echo = await echoServer(t);
  const { port, api: address, proc, exited } = await startProxyCli(t, echo, 'echo', 60);
  const api = ['--api', address];

  assert.equal((await roundTrip(port, 'plain')).reply, 'plain');

  let r = runCli(['fault', 'add', 'slow', '--proxy', 'echo', '--type', 'latency', '--stream', 'upstream', '--attr', 'latency=300', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /added slow: latency upstream latency=300 jitter=0 to proxy 'echo'/);
  const slow = await roundTrip(port, 'slow');
  assert.equal(slow.reply, 'slow');
  assert.ok(slow.ms >= 290 && slow.ms < 2000, `round trip ${slow.ms} ms`);

  r = runCli(['fault', 'list', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^echo {2}127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ {2}up\n {2}slow: latency upstream latency=300 jitter=0$/m);

  // One pooled connection, open before the update: it takes the new latency too.
  const pooled = await persistentConnection(t, port);
  assert.ok((await pooled.ping('a')).ms >= 290);
  r = runCli(['fault', 'update', 'slow', '--proxy', 'echo', '--attr', 'latency=600', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /changed slow: latency upstream latency=600 jitter=0 on proxy 'echo'/);
  assert.ok((await pooled.ping('b')).ms >= 590, 'the open connection took the new latency');
  r = runCli(['fault', 'update', 'slow', '--proxy', 'echo', '--stream', 'downstream', ...api]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "chaos-testing: 'fault update' changes attributes, --toxicity and the match only, not --stream; remove the fault and add it again");
  r = runCli(['fault', 'update', 'slow', '--proxy', 'echo', ...api]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs what to change/);
  r = runCli(['fault', 'update', 'slow', '--proxy', 'echo', '--attr', 'latency=300', ...api]);
  assert.equal(r.code, 0, r.stderr);

  r = runCli(['fault', 'add', 'bad', '--proxy', 'echo', '--type', 'latency', '--attr', 'latency=-5', ...api]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "chaos-testing: toxic 'bad': latency must be a number of milliseconds ≥ 0");

  r = runCli(['fault', 'rm', 'slow', '--proxy', 'echo', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((await roundTrip(port, 'fast')).ms < 290);

  r = runCli(['fault', 'down', '--proxy', 'echo', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await roundTrip(port, 'x')).code, 'ECONNREFUSED');
  assert.match(runCli(['fault', 'list', ...api]).stdout, /DOWN/);

  runCli(['fault', 'add', 'hold', '--proxy', 'echo', '--type', 'timeout', ...api]);
  r = runCli(['fault', 'reset', ...api]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await roundTrip(port, 'again')).reply, 'again');

  r = runCli(['fault', 'rm', 'nope', '--proxy', 'echo', ...api]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), "chaos-testing: toxic 'nope' not found on proxy 'echo'");
  r = runCli(['fault', 'add', 'x', '--proxy', 'ghost', '--type', 'latency', ...api]);
  assert.equal(r.stderr.trim(), "chaos-testing: proxy 'ghost' not found");

  proc.kill('SIGINT');
  assert.equal(await exited, 0);
});

/** One long-lived connection (a pooled DB or cache connection): ping() sends a line and times its echo. */
async function persistentConnection(t: Parameters<typeof echoServer>[0], port: number): Promise<{ ping(text: string, timeoutMs?: number, want?: number): Promise<{ reply: string; ms: number }> }> {
  const s = net.connect(port, '127.0.0.1');
  t.after(() => s.destroy());
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  let received = '';
  s.on('data', (c: Buffer) => (received += c.toString()));
  return {
    async ping(text, timeoutMs = 3000, want = text.length) {
      const started = Date.now();
      received = '';
      s.write(text);
      while (received.length < want && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 2));
      return { reply: received, ms: Date.now() - started };
    },
  };
}

test('fault rm and fault reset heal connections that are already open (a latency, a held timeout)', async (t) => {
  const echo = await echoServer(t);
  const { port, api: address } = await startProxyCli(t, echo, 'db', 60);
  const api = ['--api', address];
  assert.equal(runCli(['fault', 'add', 'slow', '--proxy', 'db', '--type', 'latency', '--attr', 'latency=300', ...api]).code, 0);
  const pooled = await persistentConnection(t, port);
  for (let i = 0; i < 2; i++) {
    const slow = await pooled.ping(`slow${i}`);
    assert.equal(slow.reply, `slow${i}`);
    assert.ok(slow.ms >= 290, `with the fault: ${slow.ms} ms`);
  }
  const r = runCli(['fault', 'rm', 'slow', '--proxy', 'db', ...api]);
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; i < 5; i++) {
    const fast = await pooled.ping(`fast${i}`);
    assert.equal(fast.reply, `fast${i}`);
    assert.ok(fast.ms < 150, `after fault rm, ping ${i} took ${fast.ms} ms on the connection opened under the fault`);
  }

  assert.equal(runCli(['fault', 'add', 'hold', '--proxy', 'db', '--type', 'timeout', '--stream', 'upstream', '--attr', 'timeout=0', ...api]).code, 0);
  const held = await persistentConnection(t, port);
  assert.equal((await held.ping('held', 300)).reply, '', 'nothing gets through the timeout');
  assert.equal(runCli(['fault', 'reset', ...api]).code, 0);
  const after = await held.ping('next', 3000, 'heldnext'.length);
  assert.equal(after.reply, 'heldnext', 'what the timeout held arrives, then what follows');
  assert.ok(after.ms < 150, `after fault reset: ${after.ms} ms`);
});

test('proxy and fault: usage errors exit 2 with one line; --help exits 0', () => {
  let r = runCli(['proxy', '--listen', '127.0.0.1:0']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^chaos-testing: proxy needs --listen HOST:PORT and --upstream HOST:PORT; see 'chaos-testing proxy --help'\n$/);
  r = runCli(['proxy', '--listen', '127.0.0.1:0', '--upstream', '6379']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--upstream '6379' must be HOST:PORT/);
  r = runCli(['proxy', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:1', '--api', '0.0.0.0:0']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /fault API listens on loopback only/);
  r = runCli(['fault', 'add']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'fault add' needs the fault NAME/);
  r = runCli(['fault', 'add', 'x', '--type', 'latency', '--attr', 'latency']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--attr 'latency' must be KEY=VALUE/);
  // Checked before the API is called: no fault API runs here.
  r = runCli(['fault', 'add', 'x', '--type', 'latency', '--toxicity', '', '--api', '127.0.0.1:1']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "chaos-testing: --toxicity '' must be a number from 0 to 1\n");
  for (const verb of ['proxy', 'fault']) {
    r = runCli([verb, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`^Usage: chaos-testing ${verb}`));
  }
});

test('fault against a server that is not a fault API (JSON of another shape) says so in one line', async (t) => {
  const other = await listen(t, http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, path: req.url }));
  }));
  const api = ['--api', other.url.slice('http://'.length)];
  for (const args of [['fault', 'list', ...api], ['fault', 'list', '--json', ...api], ['fault', 'add', 'x', '--proxy', 'p', '--type', 'latency', '--attr', 'latency=10', ...api]]) {
    const r = await runCliAsync(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^chaos-testing: the server at 127\.0\.0\.1:\d+ answered, but not as a fault API .*\n$/);
    assert.equal(r.stdout, '');
  }
});
