/**
 * HAR files from the field through the real CLI: entries the import cannot take are named in one line (no database
 * made), a stray `%` in a recorded path does not stop learn, generate or replay, the HTTP version survives a round
 * trip, and a HAR of more entries than a function can take as arguments imports.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, assertCliError, listen, runCli, runCliAsync, tmpDir } from '../helpers';

type Entry = Record<string, Record<string, unknown>>;
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'sample.har');
const sample = (): { log: { entries: Entry[] } } => JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { log: { entries: Entry[] } };

function entry(url: string, method = 'GET', extra: Partial<Entry> = {}): Entry {
  const e = structuredClone(sample().log.entries[0]);
  e.request.url = url;
  e.request.method = method;
  return { ...e, ...extra } as Entry;
}

function writeHar(dir: string, name: string, entries: Entry[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } }));
  return file;
}

test('an entry the import cannot take is named with its field, and no database is made', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const cases: Array<[(e: Entry) => void, string[]]> = [
    [(e) => (e.request.method = 'GET /x HTTP/1.1\nimport os'), ['entry 0', 'request.method', 'not an HTTP method']],
    [(e) => (e.request.method = 'PO ST'), ['entry 0', 'not an HTTP method']],
    [(e) => (e.request.url = '/api/relative'), ['entry 0', 'request.url', 'not an absolute']],
    [(e) => (e.request.url = 'file:///etc/passwd'), ['entry 0', 'request.url']],
    [(e) => ((e.request.headers as unknown[])[1] = null), ['entry 0', 'request.headers[1]']],
    [(e) => ((e.response.headers as unknown[])[0] = { name: 'X', value: null }), ['entry 0', 'response.headers[0]']],
    [(e) => (e._webSocketMessages = [{ type: 'send', time: 1, opcode: 1, data: null }] as unknown as Record<string, unknown>), ['entry 0', '_webSocketMessages[0]']],
    [(e) => (e._webSocketMessages = [{ type: 'send', opcode: 1, data: 'x' }] as unknown as Record<string, unknown>), ['entry 0', '_webSocketMessages[0]']],
  ];
  for (const [i, [spoil, mentions]] of cases.entries()) {
    const e = entry('http://127.0.0.1:9/api/users');
    spoil(e);
    const db = path.join(dir, `bad${i}.db`);
    const r = runCli(['import', writeHar(dir, `bad${i}.har`, [e]), '--db', db]);
    try {
      assertCliError(r, 1, mentions);
    } catch (err) {
      throw new Error(`case ${i}: ${(err as Error).message}`);
    }
    assert.doesNotMatch(r.stderr, /unexpected error/);
    assert.equal(fs.existsSync(db), false, `case ${i} made a database`);
  }
  // A CONNECT entry keeps its authority-form URL.
  const ok = runCli(['import', writeHar(dir, 'connect.har', [entry('127.0.0.1:443', 'CONNECT')]), '--db', path.join(dir, 'ok.db')]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('a stray % in a recorded path: learn, generate and replay go on, and the segment is kept as written', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir(t);
  const seen: string[] = [];
  const backend = await listen(t, http.createServer((req, res) => {
    seen.push(String(req.url));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  }));
  const db = path.join(dir, 'traffic.db');
  const har = writeHar(dir, 'pct.har', [entry(`${backend.url}/api/discount/50%`), entry(`${backend.url}/api/users?q=100%`)]);
  assert.equal(runCli(['import', har, '--db', db]).code, 0);
  const learned = runCli(['learn', '--db', db, '--json']);
  assert.equal(learned.code, 0, learned.stderr);
  assert.match(learned.stdout, /\/api\/discount\/50%/);
  const generated = runCli(['generate', '--language', 'python', '--input', db, '--out', path.join(dir, 'gen')]);
  assert.equal(generated.code, 0, generated.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'gen', 'tests', 'test_generated.py'), 'utf8'), /\/api\/discount\/50%/);
  const replayed = await runCliAsync(['replay', '--input', db, '--target', backend.url]);
  assert.doesNotMatch(replayed.stderr, /unexpected error|URI malformed/);
  assert.ok(seen.includes('/api/discount/50%'), `the backend saw ${seen.join(', ')}`);
});

test('the HTTP version of each entry survives import and export', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const versions = ['HTTP/2.0', 'h2', 'HTTP/1.0', 'HTTP/1.1'];
  const entries = versions.map((v, i) => {
    const e = entry(`http://127.0.0.1:9/api/v${i}`);
    e.request.httpVersion = v;
    return e;
  });
  const db = path.join(dir, 'traffic.db');
  assert.equal(runCli(['import', writeHar(dir, 'versions.har', entries), '--db', db]).code, 0);
  const out = path.join(dir, 'out.har');
  assert.equal(runCli(['export', '--db', db, '--output', out]).code, 0);
  const back = (JSON.parse(fs.readFileSync(out, 'utf8')) as { log: { entries: Entry[] } }).log.entries;
  assert.deepEqual(back.map((e) => e.request.httpVersion), ['HTTP/2.0', 'HTTP/2.0', 'HTTP/1.0', 'HTTP/1.1']);
});

test('a HAR of 150,000 entries imports (more than a function takes as arguments)', { timeout: 180_000 }, (t) => {
  const dir = tmpDir(t);
  const one = { startedDateTime: '2024-03-01T10:00:00.000Z', time: 1, request: { method: 'GET', url: 'http://127.0.0.1:9/a', httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 }, response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 0, mimeType: 'text/plain' }, redirectURL: '', headersSize: -1, bodySize: 0 }, cache: {}, timings: { send: 0, wait: 1, receive: 0 } };
  const text = JSON.stringify(one);
  const file = path.join(dir, 'many.har');
  fs.writeFileSync(file, `{"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[${Array(150_000).fill(text).join(',')}]}}`);
  const db = path.join(dir, 'many.db');
  const r = runCli(['import', file, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /150000|150,000/);
});
