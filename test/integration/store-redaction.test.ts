/**
 * Redaction at capture: secrets in headers, query parameters and (nested) JSON and form bodies are stored as
 * [REDACTED:xxxxxxxx] markers (equal secrets → equal markers) and never reach the database file or its journal,
 * while the client and the backend still see every byte unredacted. --no-redact stores them; --redact adds names.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { HeaderPairs } from '../../src/core/capture/types';
import { TrafficDb, type ExchangeDetail } from '../../src/core/store/database';
import { journalPath } from '../../src/core/store/journal';
import { listen, request, startObserve, tmpDir, waitFor, type SimpleResponse } from '../helpers';

const MARKER = /^\[REDACTED:[0-9a-f]{8}\]$/;

function secret(label: string): string {
  return `${label}${randomBytes(12).toString('hex')}`;
}

/** Fresh secrets per test, so a hit in the file bytes can only come from this capture. */
function makeSecrets() {
  return {
    bearer: secret('bearerTok'),
    apiKey: secret('apiKey'),
    otherKey: secret('otherKey'),
    proxyCred: Buffer.from(`me:${secret('proxyPw')}`).toString('base64'),
    cookie: secret('cookieVal'),
    setCookie: secret('setCookieVal'),
    password: secret('passw'),
    formPassword: secret('formPw'),
    secretField: secret('secretVal'),
    responseToken: secret('respTok'),
    ssn: secret('ssn'),
    ssnQuery: secret('ssnQ'),
    ssnHeader: secret('ssnH'),
  };
}
type Secrets = ReturnType<typeof makeSecrets>;

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A backend that remembers what it received and answers with secrets of its own. */
async function secretBackend(t: TestContext, s: Secrets): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const backend = await listen(t, http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      if (req.url === '/plain') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('nothing secret here');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': `session=${s.setCookie}; Path=/; HttpOnly` });
      res.end(JSON.stringify({ ok: true, token: s.responseToken, user: { name: 'alice' } }));
    });
  }));
  return { url: backend.url, seen };
}

/** The same four requests for every variant: headers + query, nested JSON, a form, and one with nothing secret. */
async function sendTraffic(proxyUrl: string, s: Secrets, extra = false): Promise<SimpleResponse[]> {
  const out: SimpleResponse[] = [];
  out.push(await request(`${proxyUrl}/r1?access_token=${s.bearer}&api_key=${s.apiKey}&page=2${extra ? `&ssn=${s.ssnQuery}` : ''}`, {
    headers: {
      authorization: `Bearer ${s.bearer}`,
      'proxy-authorization': `Basic ${s.proxyCred}`,
      cookie: `sid=${s.cookie}; theme=dark`,
      'x-api-key': s.apiKey,
      'x-trace': 'visible-trace',
      ...(extra ? { 'x-ssn': s.ssnHeader } : {}),
    },
  }));
  const json = {
    user: { name: 'alice', password: s.password },
    items: [{ token: s.bearer, qty: 2 }],
    secret: s.secretField,
    apiKey: s.apiKey,
    nested: { deep: { apiKey: s.otherKey, colour: 'blue' } },
    ...(extra ? { ssn: s.ssn } : {}),
  };
  out.push(await request(`${proxyUrl}/r2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }));
  out.push(await request(`${proxyUrl}/r3`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=alice&password=${s.formPassword}` }));
  out.push(await request(`${proxyUrl}/plain`, { headers: { 'x-trace': 'visible-trace' } }));
  return out;
}

function header(pairs: HeaderPairs | null, name: string): string | undefined {
  return pairs?.find(([k]) => k.toLowerCase() === name)?.[1];
}

function text(b: { data: Uint8Array } | null): string {
  return b ? Buffer.from(b.data).toString() : '';
}

async function storedExchanges(db: string): Promise<ExchangeDetail[]> {
  const store = await TrafficDb.open(db);
  try {
    return store.exchangeIds().map((id) => store.exchange(id)!);
  } finally {
    store.close();
  }
}

/** The client got everything unredacted, and so did the backend. */
function assertUnredactedOnTheWire(responses: SimpleResponse[], seen: Seen[], s: Secrets): void {
  assert.deepEqual(responses.map((r) => r.status), [200, 200, 200, 200]);
  assert.equal(JSON.parse(responses[0].body.toString()).token, s.responseToken);
  assert.deepEqual(responses[0].headers['set-cookie'], [`session=${s.setCookie}; Path=/; HttpOnly`]);
  assert.equal(seen[0].headers.authorization, `Bearer ${s.bearer}`);
  assert.equal(seen[0].headers['x-api-key'], s.apiKey);
  assert.equal(seen[0].headers.cookie, `sid=${s.cookie}; theme=dark`);
  assert.ok(seen[0].url.includes(`access_token=${s.bearer}`));
  assert.equal(JSON.parse(seen[1].body).user.password, s.password);
  assert.equal(seen[2].body, `username=alice&password=${s.formPassword}`);
}

function allFileBytes(db: string): Buffer {
  const parts = [fs.readFileSync(db)];
  if (fs.existsSync(journalPath(db))) parts.push(fs.readFileSync(journalPath(db)));
  return Buffer.concat(parts);
}

function assertNoRawSecret(bytes: Buffer, s: Secrets, where: string): void {
  for (const [name, value] of Object.entries(s)) {
    assert.equal(bytes.includes(value), false, `raw ${name} found in ${where}`);
  }
}

test('secrets are stored as salted markers, never raw; client and backend see them unredacted', { timeout: 60_000 }, async (t) => {
  const s = makeSecrets();
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await secretBackend(t, s);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);
  const responses = await sendTraffic(proxy.url, s);
  assertUnredactedOnTheWire(responses, backend.seen, s);

  // While the capture runs, neither the file nor its journal holds a raw secret.
  await waitFor(async () => (await storedExchanges(db)).length === 4, 10_000, 'four exchanges journaled');
  assertNoRawSecret(allFileBytes(db), s, 'the running capture\'s file and journal');
  assert.equal(await proxy.stop(), 0);
  assertNoRawSecret(fs.readFileSync(db), s, 'the database file');

  const [r1, r2, r3, plain] = await storedExchanges(db);
  // Query parameters: markers in place, other parameters untouched.
  const q = new URL(r1.url).searchParams;
  const bearerMarker = q.get('access_token')!;
  const apiKeyMarker = q.get('api_key')!;
  assert.match(bearerMarker, MARKER);
  assert.match(apiKeyMarker, MARKER);
  assert.notEqual(bearerMarker, apiKeyMarker, 'different secrets → different markers');
  assert.equal(q.get('page'), '2');
  // Headers: the scheme and cookie names stay readable; the same secret gets the same marker everywhere.
  assert.equal(header(r1.requestHeaders, 'authorization'), `Bearer ${bearerMarker}`);
  assert.equal(header(r1.requestHeaders, 'x-api-key'), apiKeyMarker);
  assert.match(header(r1.requestHeaders, 'proxy-authorization')!, /^Basic \[REDACTED:[0-9a-f]{8}\]$/);
  assert.match(header(r1.requestHeaders, 'cookie')!, /^sid=\[REDACTED:[0-9a-f]{8}\]; theme=\[REDACTED:[0-9a-f]{8}\]$/);
  assert.equal(header(r1.requestHeaders, 'x-trace'), 'visible-trace');
  assert.match(header(r1.responseHeaders, 'set-cookie')!, /^session=\[REDACTED:[0-9a-f]{8}\]; Path=\/; HttpOnly$/);
  const r1Body = JSON.parse(text(r1.responseBody));
  assert.match(r1Body.token, MARKER);
  assert.deepEqual({ ...r1Body, token: 'x' }, { ok: true, token: 'x', user: { name: 'alice' } });
  assert.equal(r1.redacted, true);

  // A nested JSON body: fields by name at any depth, inside arrays too.
  const body = JSON.parse(text(r2.requestBody));
  assert.equal(body.user.name, 'alice');
  assert.match(body.user.password, MARKER);
  assert.equal(body.items[0].token, bearerMarker, 'the bearer token reused in a body has the same marker');
  assert.equal(body.items[0].qty, 2);
  assert.match(body.secret, MARKER);
  assert.equal(body.apiKey, apiKeyMarker);
  assert.match(body.nested.deep.apiKey, MARKER);
  assert.notEqual(body.nested.deep.apiKey, apiKeyMarker, 'another key → another marker');
  assert.equal(body.nested.deep.colour, 'blue');
  assert.equal(new Set([body.user.password, body.secret, body.nested.deep.apiKey, bearerMarker, apiKeyMarker]).size, 5);
  assert.equal(r2.redacted, true);

  // A form body.
  const form = new URLSearchParams(text(r3.requestBody));
  assert.equal(form.get('username'), 'alice');
  assert.match(form.get('password')!, MARKER);
  assert.equal(r3.redacted, true);

  // Nothing secret: stored as sent, and not flagged.
  assert.equal(plain.redacted, false);
  assert.equal(header(plain.requestHeaders, 'x-trace'), 'visible-trace');
  assert.equal(text(plain.responseBody), 'nothing secret here');
});

test('--no-redact stores secrets as they are', { timeout: 60_000 }, async (t) => {
  const s = makeSecrets();
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await secretBackend(t, s);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--no-redact']);
  assertUnredactedOnTheWire(await sendTraffic(proxy.url, s), backend.seen, s);
  assert.equal(await proxy.stop(), 0);

  const bytes = fs.readFileSync(db);
  for (const name of ['bearer', 'apiKey', 'cookie', 'setCookie', 'password', 'formPassword', 'responseToken'] as const) {
    assert.ok(bytes.includes(s[name]), `raw ${name} is in the file`);
  }
  const [r1, r2, r3] = await storedExchanges(db);
  assert.equal(header(r1.requestHeaders, 'authorization'), `Bearer ${s.bearer}`);
  assert.equal(header(r1.requestHeaders, 'cookie'), `sid=${s.cookie}; theme=dark`);
  assert.equal(header(r1.responseHeaders, 'set-cookie'), `session=${s.setCookie}; Path=/; HttpOnly`);
  assert.equal(new URL(r1.url).searchParams.get('access_token'), s.bearer);
  assert.equal(JSON.parse(text(r2.requestBody)).user.password, s.password);
  assert.equal(JSON.parse(text(r2.requestBody)).nested.deep.apiKey, s.otherKey);
  assert.equal(new URLSearchParams(text(r3.requestBody)).get('password'), s.formPassword);
  assert.deepEqual([r1.redacted, r2.redacted, r3.redacted], [false, false, false]);
});

test('--redact NAME adds a field name (header, query, JSON) on top of the defaults; markers are salted per database', { timeout: 60_000 }, async (t) => {
  const s = makeSecrets();
  const dir = tmpDir(t);
  const backend = await secretBackend(t, s);
  const withSsn = path.join(dir, 'ssn.db');
  const proxy = await startObserve(t, ['--target', backend.url, '--output', withSsn, '--redact', 'ssn']);
  assertUnredactedOnTheWire(await sendTraffic(proxy.url, s, true), backend.seen, s);
  assert.equal(backend.seen[0].headers['x-ssn'], s.ssnHeader);
  assert.equal(JSON.parse(backend.seen[1].body).ssn, s.ssn);
  assert.equal(await proxy.stop(), 0);
  assertNoRawSecret(fs.readFileSync(withSsn), s, 'the --redact ssn database');
  const [r1, r2] = await storedExchanges(withSsn);
  assert.match(new URL(r1.url).searchParams.get('ssn')!, MARKER);
  assert.match(header(r1.requestHeaders, 'x-ssn')!, MARKER);
  const body = JSON.parse(text(r2.requestBody));
  assert.match(body.ssn, MARKER);
  assert.match(body.user.password, MARKER, 'defaults still apply');

  // Without --redact ssn the field is kept; the same bearer token gets another marker in another database.
  const plainDb = path.join(dir, 'plain.db');
  const again = await startObserve(t, ['--target', backend.url, '--output', plainDb]);
  await sendTraffic(again.url, s, true);
  assert.equal(await again.stop(), 0);
  const [p1, p2] = await storedExchanges(plainDb);
  assert.equal(JSON.parse(text(p2.requestBody)).ssn, s.ssn);
  assert.equal(new URL(p1.url).searchParams.get('ssn'), s.ssnQuery);
  assert.notEqual(new URL(p1.url).searchParams.get('access_token'), new URL(r1.url).searchParams.get('access_token'), 'markers are salted per database');
});

test('secrets inside a gzip-compressed response and a body cut at --body-cap are redacted too', { timeout: 60_000 }, async (t) => {
  const { gzipSync } = await import('node:zlib');
  const s = makeSecrets();
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const backend = await listen(t, http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ access: { token: s.responseToken }, padding: 'p'.repeat(5_000) })));
    });
  }));
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db, '--body-cap', '256']);
  // The password comes early; the body is far longer than the cap, so what is kept is not valid JSON.
  const long = JSON.stringify({ password: s.password, apiKey: s.apiKey, filler: 'f'.repeat(10_000) });
  const r = await request(`${proxy.url}/upload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: long });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-encoding'], 'gzip', 'the client gets the compressed bytes as sent');
  assert.equal(await proxy.stop(), 0);

  assertNoRawSecret(fs.readFileSync(db), s, 'the database file');
  const [ex] = await storedExchanges(db);
  assert.equal(ex.requestBody!.truncated, true);
  assert.equal(ex.requestBody!.size, Buffer.byteLength(long));
  assert.match(text(ex.requestBody), /^\{"password":"\[REDACTED:[0-9a-f]{8}\]","apiKey":"\[REDACTED:[0-9a-f]{8}\]","filler":"f+$/);
  assert.match(JSON.parse(text(ex.responseBody)).access.token, MARKER);
});

test('secrets a name does not give away are redacted at capture: under a secret key, in untyped JSON, in socket.io frames', { timeout: 60_000 }, async (t) => {
  const { WebSocketServer, default: WebSocket } = await import('ws');
  const tokens = [secret('arrTok'), secret('arrTok')];
  const access = secret('accessTok');
  const untyped = secret('untypedPw');
  const frameToken = secret('frameTok');
  const answerToken = secret('answerTok');
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tokens, token: { access, expires: 3600 }, user: 'alice' }));
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', () => ws.send(`43["auth-ok",{"session":{"token":"${answerToken}"}}]`)));
  t.after(() => wss.close());
  const backend = await listen(t, server);
  const proxy = await startObserve(t, ['--target', backend.url, '--output', db]);

  // No Content-Type, and the JSON starts after a newline.
  const r = await request(`${proxy.url}/keys`, { method: 'POST', body: `\n  {"password":"${untyped}"}` });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body.toString()).tokens, tokens, 'the client gets the tokens');
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`${proxy.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    ws.on('open', () => ws.send(`42["auth",{"token":"${frameToken}"}]`));
    ws.on('message', () => ws.close(1000, 'done'));
    ws.on('close', () => resolve());
    ws.on('error', reject);
  });
  await waitFor(async () => (await storedExchanges(db)).some((e) => e.messages.filter((m) => m.opcode === 1).length === 2), 10_000, 'both text frames stored');
  assert.equal(await proxy.stop(), 0);

  const bytes = fs.readFileSync(db);
  for (const raw of [...tokens, access, untyped, frameToken, answerToken]) assert.equal(bytes.includes(raw), false, `raw ${raw} in the database`);
  const [keys, socket] = await storedExchanges(db);
  const answer = JSON.parse(text(keys.responseBody));
  assert.equal(answer.tokens.length, 2);
  assert.match(answer.tokens[0], MARKER);
  assert.match(answer.token.access, MARKER);
  assert.equal(answer.user, 'alice');
  assert.match(JSON.parse(text(keys.requestBody)).password, MARKER);
  const frames = socket.messages.filter((m) => m.opcode === 1).map((m) => Buffer.from(m.data!).toString());
  assert.match(frames.find((f) => f.startsWith('42'))!, /^42\["auth",\{"token":"\[REDACTED:[0-9a-f]{8}\]"\}\]$/);
  assert.match(frames.find((f) => f.startsWith('43'))!, /^43\["auth-ok",\{"session":\{"token":"\[REDACTED:[0-9a-f]{8}\]"\}\}\]$/);
});
