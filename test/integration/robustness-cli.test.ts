/**
 * Bad input to the CLI: each mistake gets one clear line on stderr, exit code 2 for usage errors and 1 for
 * everything else, and never a stack trace; nothing is left behind.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import { ROOT, assertCliError, listen, runCli, tmpDir } from '../helpers';

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'sample.har');

/** Runs the CLI and asserts its one-line error (exit `code`, naming `mentions`); a failure names the command. */
function cliErrorOf(args: string[], code: number, mentions: string[]): ReturnType<typeof runCli> {
  const r = runCli(args);
  try {
    assertCliError(r, code, mentions);
  } catch (e) {
    throw new Error(`chaos-testing ${args.join(' ')}: ${(e as Error).message}`);
  }
  return r;
}

test('usage errors exit 2 with one line naming the mistake', { timeout: 120_000 }, (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const target = 'http://127.0.0.1:9';
  const cases: Array<[string[], string[]]> = [
    [['frobnicate'], ["unknown command 'frobnicate'"]],
    [['--bogus'], ["unknown command '--bogus'"]],
    [['observe', '--bogus', '--target', target], ['--bogus']],
    [['list', '--nope', '--db', db], ['--nope']],
    [['observe', '--target', 'notaurl', '--output', db], ['notaurl', 'not a URL']],
    [['observe', '--target', 'ftp://127.0.0.1/', '--output', db], ['ftp://127.0.0.1/', 'http://']],
    [['observe', '--output', db], ['--target']],
    [['observe', '--target'], ['--target', 'needs a value']],
    [['observe', '--target', target, '--port', '99999', '--output', db], ['--port', '99999']],
    [['observe', '--target', target, '--port', 'eighty', '--output', db], ['--port', 'eighty']],
    [['observe', '--target', target, '--header-timeout', '5', '--output', db], ['--header-timeout']],
    [['observe', '--target', target, '--body-cap', 'lots', '--output', db], ['--body-cap', 'lots']],
    [['observe', '--target', target, '--mode', 'sideways', '--output', db], ['--mode', 'sideways']],
    [['observe', '--mode', 'forward', '--target', target, '--output', db], ['--target']],
    [['observe', '--target', target, '--quiet=yes', '--output', db], ['--quiet']],
    [['observe', '--target', target, '--ca', path.join(dir, 'no-such-ca.pem'), '--port', '0', '--output', db], ['no-such-ca.pem']],
    [['observe', '--target', 'https://127.0.0.1:9', '--ca', FIXTURE, '--port', '0', '--output', db], ['--ca', 'sample.har', 'no certificate']],
    [['show', '--db', db], ['ID']],
    [['show', 'abc', '--db', db], ["'abc'"]],
    [['show', '1', '2', '--db', db], ["'2'"]],
    [['show', '9007199254740993', '--db', db], ["'9007199254740993'", 'whole number']],
    [['export', '--format', 'xml', '--db', db], ['--format', 'xml']],
    [['import', '--db', db], ['FILE']],
    [['replay', '--input', db, '--target', 'notaurl'], ['notaurl', 'not a URL']],
    [['replay', '--input', db, '--target', 'ftp://127.0.0.1/'], ['ftp://127.0.0.1/', 'http://']],
    [['properties', '--input', db, '--target', 'notaurl'], ['notaurl', 'not a URL']],
    // The fault API is on loopback only: another address is refused before any lookup or connection.
    [['fault', 'list', '--api', 'no-such-host.invalid:8474'], ['no-such-host.invalid:8474', 'not loopback']],
    [['fault', 'list', '--api', '192.0.2.1:8474'], ['192.0.2.1:8474', 'not loopback']],
    [['fault', 'list', '--api', 'nonsense'], ['nonsense', 'HOST:PORT']],
    [['observe', '--target', target, '--proto', path.join(dir, 'svc.proto'), '--output', db], ['--proto', 'grpc']],
    // A wire listener has no paths and no HTTPS target: flags for those are refused, not dropped.
    [['observe', '--protocol', 'redis', '--target', '127.0.0.1:9', '--port', '0', '--exclude', '/health', '--output', db], ['--exclude', 'redis listener']],
    [['observe', '--protocol', 'postgres', '--target', '127.0.0.1:9', '--port', '0', '--insecure', '--output', db], ['--insecure', 'postgres listener']],
    [['observe', '--protocol', 'kafka', '--target', '127.0.0.1:9', '--port', '0', '--upstream-timeout', '500', '--output', db], ['--upstream-timeout', 'kafka listener']],
    [['observe', '--protocol', 'grpc', '--target', '127.0.0.1:9', '--port', '0', '--proto', path.join(dir, 'missing.proto'), '--output', db], ['missing.proto', 'no such file']],
    [['observe', '--protocol', 'grpc', '--target', '127.0.0.1:9', '--port', '0', '--proto', FIXTURE, '--output', db], ['sample.har', 'define no service']],
  ];
  for (const [args, mentions] of cases) {
    const r = cliErrorOf(args, 2, mentions);
    assert.equal(r.stdout, '', `chaos-testing ${args.join(' ')} printed to stdout`);
  }
  // An experiment file with problems: one line per problem, and exit 2 as for `chaos run` (a bad file).
  const invalid = runCli(['chaos', 'validate', FIXTURE]);
  assert.equal(invalid.code, 2, invalid.stderr);
  assert.match(invalid.stderr, /sample\.har:1:1: the file: 'title' is missing/);
  assert.deepEqual(fs.readdirSync(dir), [], 'a usage error created files');
});

test('usage errors about the contents of a good database (no such session or exchange) exit 2', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  assert.equal(runCli(['import', FIXTURE, '--db', db]).code, 0);
  assertCliError(runCli(['list', '--db', db, '--session', '99']), 2, ['--session 99']);
  assertCliError(runCli(['replay', '--input', db, '--target', 'http://127.0.0.1:9', '--session', '42']), 2, ['no session 42']);
  assertCliError(runCli(['properties', '--input', db, '--target', 'http://127.0.0.1:9', '--session', '42', '--runs', '1']), 2, ['no session 42']);
  assertCliError(runCli(['show', '999', '--db', db]), 2, ['999']);
  assertCliError(runCli(['export', '--db', db, '--session', '0']), 2, ['--session']);
  // A session that is not there: not an empty export or model with exit 0.
  assertCliError(runCli(['export', '--db', db, '--session', '42']), 2, ['--session 42', 'no such session']);
  assertCliError(runCli(['export', '--format', 'json', '--db', db, '--session', '42']), 2, ['--session 42']);
  assertCliError(runCli(['learn', '--db', db, '--session', '42']), 2, ['--session 42']);
});

test('a port in use exits 1 with one line, and leaves no database behind', { timeout: 60_000 }, async (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const holder = await listen(t, http.createServer((_req, res) => res.end('taken')));
  const r = runCli(['observe', '--port', String(holder.port), '--target', 'http://127.0.0.1:9', '--output', db]);
  assertCliError(r, 1, [String(holder.port), 'already in use']);
  assert.deepEqual(fs.readdirSync(dir), [], 'no database, lock or journal left');
});

test('an address that is not this machine exits 1 with one line', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  // 192.0.2.1 is TEST-NET-1: binding to it fails locally, nothing is sent anywhere.
  const r = runCli(['observe', '--host', '192.0.2.1', '--port', '0', '--target', 'http://127.0.0.1:9', '--output', path.join(dir, 'traffic.db')]);
  assertCliError(r, 1, ['192.0.2.1']);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('unwritable output paths exit 1 with one line naming the path, promptly', { timeout: 120_000 }, (t) => {
  const dir = tmpDir(t);
  const aFile = path.join(dir, 'plain-file.txt');
  fs.writeFileSync(aFile, 'not a folder');
  const cases: Array<[string[], string]> = [
    [['observe', '--port', '0', '--target', 'http://127.0.0.1:9', '--output', '/proc/nope/traffic.db'], '/proc/nope/traffic.db'],
    [['observe', '--port', '0', '--target', 'http://127.0.0.1:9', '--output', path.join(aFile, 'traffic.db')], path.join(aFile, 'traffic.db')],
    [['import', FIXTURE, '--db', '/proc/nope/traffic.db'], '/proc/nope/traffic.db'],
    [['import', FIXTURE, '--db', path.join(aFile, 'sub', 'traffic.db')], path.join(aFile, 'sub', 'traffic.db')],
    // Node's recursive mkdir never returns for a path under /proc: the CA folder is made level by level.
    [['ca', 'init', '--dir', '/proc/nope-ca'], '/proc/nope-ca'],
  ];
  for (const [args, where] of cases) {
    const t0 = Date.now();
    const r = runCli(args);
    assert.ok(Date.now() - t0 < 15_000, `chaos-testing ${args.join(' ')} took ${Date.now() - t0} ms`);
    try {
      assertCliError(r, 1, [where]);
    } catch (e) {
      throw new Error(`chaos-testing ${args.join(' ')}: ${(e as Error).message}`);
    }
  }
  // export to an unwritable --output, from a good database.
  const db = path.join(dir, 'traffic.db');
  assert.equal(runCli(['import', FIXTURE, '--db', db]).code, 0);
  const r = runCli(['export', '--db', db, '--output', '/proc/nope/out.har']);
  assertCliError(r, 1, ['/proc/nope/out.har']);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['plain-file.txt', 'traffic.db']);
});

test('a missing database exits 1 with one line naming it', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'missing.db');
  for (const args of [['list', '--db', db], ['show', '1', '--db', db], ['export', '--db', db]]) {
    assertCliError(runCli(args), 1, [db, 'observe']);
  }
  // The default database path, from a folder without one.
  assertCliError(runCli(['list'], { cwd: dir }), 1, ['.chaos/traffic.db']);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('an output path that is one of the inputs is refused, and every input is left byte for byte', { timeout: 120_000 }, (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  const experiment = path.join(dir, 'experiment.yaml');
  const spec = path.join(dir, 'load.yaml');
  fs.copyFileSync(path.join(ROOT, 'examples', 'experiments', 'backend-restart.yaml'), experiment);
  fs.copyFileSync(path.join(ROOT, 'examples', 'load', 'checkout-ramp.yaml'), spec);
  assert.equal(runCli(['import', FIXTURE, '--db', db]).code, 0);
  const snapshot = (): string[] => [db, experiment, spec].map((f) => fs.readFileSync(f).toString('base64'));
  const before = snapshot();
  const cases: Array<[string[], string[]]> = [
    [['export', '--db', db, '--output', db], ['--output', 'also the input']],
    [['audit', '-i', db, '-w', dir, '-o', db], ['--output', 'also the input']],
    [['chaos', 'export', experiment, '--to', 'chaos-mesh', '--out', experiment], ['--out', 'also the input']],
    [['load', 'export', '--to', 'k6', '--spec', spec, '-i', db, '--output', spec], ['--output', 'also the input']],
    [['export', '--db', db, '--output', path.join(dir, 'missing', 'x.json')], ['--output', 'does not exist']],
    [['export', '--db', db, '--output', dir], ['--output', 'is a directory']],
  ];
  for (const [args, mentions] of cases) cliErrorOf(args, 1, mentions);
  assert.deepEqual(snapshot(), before, 'no input changed');
});

test('a HAR whose fields have the wrong types is refused with the entry and field named, and no database is made', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const har = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { log: { entries: Array<Record<string, Record<string, unknown>>> } };
  const cases: Array<[(e: Record<string, Record<string, unknown>>) => void, string[]]> = [
    [(e) => (e.response.status = 'abc'), ['entry 0', 'response.status']],
    [(e) => (e.request.method = 5), ['entry 0', 'request.method']],
    [(e) => ((e.response.content as Record<string, unknown>).text = 5), ['entry 0', 'response.content.text']],
    [(e) => (e.request.headers = 'x'), ['entry 0', 'request.headers']],
  ];
  for (const [i, [spoil, mentions]] of cases.entries()) {
    const bad = structuredClone(har);
    spoil(bad.log.entries[0]);
    const file = path.join(dir, `bad${i}.har`);
    fs.writeFileSync(file, JSON.stringify(bad));
    const db = path.join(dir, `bad${i}.db`);
    assertCliError(runCli(['import', file, '--db', db]), 1, mentions);
    assert.equal(fs.existsSync(db), false);
  }
});

test('a file given where a folder is expected (ci --out, properties --invariants-dir) is named in one line', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const db = path.join(dir, 'traffic.db');
  assert.equal(runCli(['import', FIXTURE, '--db', db]).code, 0);
  assertCliError(runCli(['ci', '--suite', path.join(dir, 'suite.yaml'), '--out', FIXTURE]), 2, ['--out', 'is a file']);
  assertCliError(runCli(['properties', '-i', db, '-t', 'http://127.0.0.1:9', '--invariants-dir', FIXTURE, '--invariant', 'mine', '--runs', '1']), 1, ['--invariants-dir', 'is a file']);
});

test('file system mistakes are told in words (a folder for a file, a file for a folder), not as errno codes', { timeout: 60_000 }, (t) => {
  const dir = tmpDir(t);
  const aFile = path.join(dir, 'plain-file.txt');
  fs.writeFileSync(aFile, 'not a folder');
  const cases: Array<[string[], string[]]> = [
    [['list', '--db', dir], [dir, 'a folder, not a file']],
    [['import', dir, '--db', path.join(dir, 'x.db')], [dir, 'a folder, not a file']],
    [['import', path.join(dir, 'missing.har'), '--db', path.join(dir, 'x.db')], ['missing.har', 'no such file']],
    [['ca', 'init', '--dir', aFile], [aFile, 'a file, not a folder']],
    [['observe', '--port', '0', '--target', 'http://127.0.0.1:9', '--tls-self-signed', '--ca-dir', aFile, '--output', path.join(dir, 'x.db')], [aFile, 'a file, not a folder']],
  ];
  for (const [args, mentions] of cases) {
    const r = cliErrorOf(args, 1, mentions);
    assert.doesNotMatch(r.stderr, /\bE[A-Z]{3,}\b|unexpected error/, `chaos-testing ${args.join(' ')}: ${r.stderr}`);
  }
  assert.deepEqual(fs.readdirSync(dir), ['plain-file.txt'], 'a refused command left files behind');
});
