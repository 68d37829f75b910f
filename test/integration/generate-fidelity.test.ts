/**
 * A generated test sends what was recorded and expects what was recorded: run against a backend that answers
 * exactly as it did in the recording, every test passes. Each case below is an exchange some language got wrong
 * (numbers spelled 5.0, the raw query, bytes of a body, an empty JSON body...). The recording is a HAR built from
 * the backend's own answers; it is imported and generated through the CLI and run by each language's runner.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { DIALECTS } from '../../src/core/generate/dialects';
import { DEBIAN_CRATES, DEBIAN_RUST, checkSuite, runSuite, runnerAvailable, type RunnerOptions } from '../../src/core/generate/runners';
import { ROOT, listen, runCli, tmpDir } from '../helpers';

interface Answer {
  status: number;
  contentType: string | null;
  /** The body exactly as sent (JSON text is kept as written: 5.0 stays 5.0). */
  body: string;
}

interface Case {
  why: string;
  method: string;
  /** Path and query as sent on the wire. */
  target: string;
  request?: { contentType: string; body: Buffer; base64: boolean };
  answer(req: { method: string; target: string; body: Buffer }): Answer;
}

const json = (body: string): Answer => ({ status: 200, contentType: 'application/json', body });
/** `answer` only for a request whose target is byte for byte `expected`; any other gets a 400 naming what came. */
const onlyAt = (expected: string, target: string, answer: () => Answer): Answer =>
  target === expected ? answer() : { status: 400, contentType: 'text/plain', body: `sent ${target}` };

/** Set for the second run: every text answer changes by one character (the suite must then catch those it asserts). */
let textChanged = false;
const text = (contentType: string, body: string): Answer => ({ status: 200, contentType, body: textChanged ? `${body}!` : body });
/** The cases whose whole text body a suite asserts (small, UTF-8, nothing volatile in it). */
const ASSERTED_TEXTS = 3;

const CASES: Case[] = [
  {
    why: 'numbers written 5.0 and 1e300 are integers to JSON Schema (§7)',
    method: 'GET',
    target: '/api/float',
    answer: () => json('{"price":5.0,"exp":1e300,"neg":-2.0}'),
  },
  {
    why: 'integers beyond 2^53 are not asserted with a rounded value; their type still is (§8)',
    method: 'GET',
    target: '/api/big',
    answer: () => json('{"id":9007199254740993,"small":-9007199254740995,"huge":123456789012345678901234567890,"ok":1}'),
  },
  {
    why: 'the query is sent as recorded, byte for byte: + stays +, a bare flag stays bare (§9)',
    method: 'GET',
    target: '/api/echo?q=a+b&x=%24%7By%7D&e=%22&flag&sp=%20&t=~*&q=2',
    answer: ({ target }) => json(JSON.stringify({ search: target.slice(target.indexOf('?')) })),
  },
  {
    why: 'a path and query that clients re-quote are sent as recorded: a stray %, an escaped ~, a lowercase escape (§25)',
    method: 'GET',
    target: '/api/discount/50%?off=100%&t=%7E&c=%2f',
    answer: ({ target }) => onlyAt('/api/discount/50%?off=100%&t=%7E&c=%2f', target, () => json(JSON.stringify({ target }))),
  },
  {
    why: 'a text body sent to a path clients re-quote goes as UTF-8 (§25)',
    method: 'POST',
    target: '/api/note/100%',
    request: { contentType: 'text/plain; charset=utf-8', body: Buffer.from('naïve € ✓'), base64: false },
    answer: ({ target, body }) => onlyAt('/api/note/100%', target, () => json(JSON.stringify({ text: body.toString('utf8') }))),
  },
  {
    why: 'a PATCH to a path clients re-quote goes as recorded, with its JSON body, in every language (§25)',
    method: 'PATCH',
    target: '/api/discount/25%',
    request: { contentType: 'application/json', body: Buffer.from('{"off":25}'), base64: false },
    answer: ({ target, body }) => onlyAt('/api/discount/25%', target, () => json(JSON.stringify({ patched: JSON.parse(body.toString() || 'null') as unknown }))),
  },
  {
    why: 'escaped UTF-8 and an escaped space in a path stay escaped, as captured (§25)',
    method: 'GET',
    target: '/api/caf%C3%A9/x%20y',
    answer: ({ target }) => onlyAt('/api/caf%C3%A9/x%20y', target, () => json(JSON.stringify({ target }))),
  },
  {
    why: 'spaces before U+2028 and U+2029 inside a string literal are kept (§10)',
    method: 'GET',
    target: '/api/separators',
    answer: () => json(JSON.stringify({ s: 'line \u2028sep \u2029para \t\u2028end' })),
  },
  {
    why: 'a binary request body is sent as its bytes, not as its base64 text (§11)',
    method: 'PUT',
    target: '/api/upload',
    request: { contentType: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x22, 0x5c, 0xff]), base64: true },
    answer: ({ body }) => json(JSON.stringify({ size: body.length, sum: body.reduce((a, b) => a + b, 0), first: body[0] ?? null })),
  },
  {
    why: 'an application/octet-stream body that is not UTF-8 is sent as its bytes (§11)',
    method: 'POST',
    target: '/api/blob',
    request: { contentType: 'application/octet-stream', body: Buffer.from([0xc3, 0x28, 0x00, 0xfe, 0x41]), base64: true },
    answer: ({ body }) => json(JSON.stringify({ size: body.length, sum: body.reduce((a, b) => a + b, 0), first: body[0] ?? null })),
  },
  {
    why: 'HEAD with a JSON content type: no body to parse (§12)',
    method: 'HEAD',
    target: '/api/head',
    answer: () => json(''),
  },
  {
    why: 'an empty body recorded with a JSON content type: nothing to parse (§12)',
    method: 'GET',
    target: '/api/empty',
    answer: () => json(''),
  },
  {
    why: 'a text body is asserted whole, in a literal that escapes what each language must: quotes, backslash, braces, %, $, tabs, lines, U+2028, astral (§26)',
    method: 'GET',
    target: '/api/motd',
    answer: () => text('text/plain; charset=utf-8', 'Hello, "wörld" \\ {x} {{y}} %d %s $HOME ${z}\n\ttab — ✓ 😀 \u2028 end\r\n'),
  },
  {
    why: 'a short text body is asserted in one literal (§26)',
    method: 'GET',
    target: '/api/ping',
    answer: () => text('text/plain', 'pong'),
  },
  {
    why: 'a small HTML page is asserted whole (§26)',
    method: 'GET',
    target: '/api/page',
    answer: () => text('text/html', '<!doctype html><html><body><h1>Orders</h1><p class="x">3 open</p></body></html>'),
  },
  {
    why: 'a text body that holds a timestamp is not asserted (it differs on every run): only status and type (§26)',
    method: 'GET',
    target: '/api/time',
    answer: () => text('text/plain', `server time 2024-05-01T10:00:00Z`),
  },
  {
    why: 'a __proto__ key of a JSON body is sent as a field (§17)',
    method: 'POST',
    target: '/api/proto',
    request: { contentType: 'application/json', body: Buffer.from('{"__proto__":{"admin":true},"name":"x"}'), base64: false },
    answer: ({ body }) => json(JSON.stringify({ keys: Object.keys(JSON.parse(body.toString() || '{}') as object).join(',') })),
  },
];

function answerFor(method: string, target: string, body: Buffer): Answer {
  const c = CASES.find((x) => x.method === method && x.target.split('?')[0] === target.split('?')[0]);
  return c ? c.answer({ method, target, body }) : { status: 404, contentType: 'text/plain', body: 'no such case' };
}

/** The HAR of one exchange per case, its responses the backend's own answers. */
function har(baseUrl: string): unknown {
  const entries = CASES.map((c, i) => {
    const a = c.answer({ method: c.method, target: c.target, body: c.request?.body ?? Buffer.alloc(0) });
    const headers = (ct: string | null): Array<{ name: string; value: string }> => (ct ? [{ name: 'content-type', value: ct }] : []);
    return {
      startedDateTime: new Date(Date.UTC(2024, 4, 1, 10, 0, i)).toISOString(),
      time: 1,
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
      request: {
        method: c.method, url: `${baseUrl}${c.target}`, httpVersion: 'HTTP/1.1', queryString: [], cookies: [], headersSize: -1,
        headers: headers(c.request?.contentType ?? null), bodySize: c.request?.body.length ?? 0,
        ...(c.request ? { postData: { mimeType: c.request.contentType, text: c.request.base64 ? c.request.body.toString('base64') : c.request.body.toString('utf8'), ...(c.request.base64 ? { encoding: 'base64' } : {}) } } : {}),
      },
      response: {
        status: a.status, statusText: 'OK', httpVersion: 'HTTP/1.1', cookies: [], redirectURL: '', headersSize: -1, bodySize: -1,
        headers: headers(a.contentType),
        content: { size: Buffer.byteLength(a.body), mimeType: a.contentType ?? '', text: a.body },
      },
    };
  });
  return { log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } };
}

/** Rust builds with Debian's toolchain from Debian's crates, offline (as in generate.test.ts). */
function options(baseUrl?: string): RunnerOptions {
  return { baseUrl, cacheDir: path.join(ROOT, '.cache', 'runners'), nodeModules: path.join(ROOT, 'node_modules'), timeoutMs: 180_000, rust: DEBIAN_RUST, offlineCrates: DEBIAN_CRATES };
}

for (const d of DIALECTS) {
  test(`${d.language} (${d.framework}): every recorded exchange passes against a backend that answers the same`, { timeout: 600_000 }, async (t) => {
    const reason = runnerAvailable(d.runner, options(), ROOT);
    if (reason !== null) return t.skip(reason);
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const a = answerFor(req.method ?? '', req.url ?? '', Buffer.concat(chunks));
        res.writeHead(a.status, a.contentType ? { 'content-type': a.contentType } : {});
        res.end(req.method === 'HEAD' ? undefined : a.body);
      });
    });
    const backend = await listen(t, server);
    const dir = tmpDir(t, 'chaos-fidelity-');
    fs.writeFileSync(path.join(dir, 'traffic.har'), JSON.stringify(har(backend.url)));
    // A quote in the database's path once broke the TypeScript suite's describe('…') (§18).
    fs.mkdirSync(path.join(dir, `it's "here"`));
    const db = path.join(dir, `it's "here"`, 'traffic.db');
    const imported = runCli(['import', path.join(dir, 'traffic.har'), '--db', db]);
    assert.equal(imported.code, 0, imported.stderr);
    const out = path.join(dir, 'out');
    const generated = runCli(['generate', '--input', db, '--language', d.language, '--framework', d.framework === 'node:test' ? 'node' : d.framework, '--out', out]);
    assert.equal(generated.code, 0, generated.stderr);
    const check = await checkSuite(d.runner, out, options());
    assert.ok(check.ok, `${check.commands.join('\n')}\n${check.output}`);
    const run = await runSuite(d.runner, out, options(backend.url));
    assert.ok(run.ok, `${run.output}\n${fs.readFileSync(path.join(out, d.file), 'utf8')}`);
    assert.equal(run.passed, CASES.length, run.output);
    // The same backend with its text answers changed: the asserted ones fail, the rest still pass.
    textChanged = true;
    try {
      const changed = await runSuite(d.runner, out, options(backend.url));
      assert.equal(changed.failed, ASSERTED_TEXTS, changed.output);
      assert.equal(changed.passed, CASES.length - ASSERTED_TEXTS, changed.output);
    } finally {
      textChanged = false;
    }
  });
}
