/**
 * Traffic is input from whoever answered (or wrote the HAR): a JSON key, an HTTP method or the name of a redacted
 * field that carries a line break and code must stay text in the generated suite. For each language: a HAR with
 * all three is imported and generated through the CLI, the suite is compiled, then run by its own runner against
 * a backend that answers the same; the injected code must appear on no line of its own and must never run.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Dialect } from '../../src/core/generate/dialect';
import { DIALECTS } from '../../src/core/generate/dialects';
import { DEBIAN_CRATES, DEBIAN_RUST, checkSuite, runSuite, runnerAvailable, type RunnerOptions } from '../../src/core/generate/runners';
import { ROOT, listen, runCli, sqlite3, tmpDir } from '../helpers';

const TIMESTAMP = '2024-01-01T00:00:00Z';

/** A statement that creates `marker`, in the dialect's language. */
function code(d: Dialect, marker: string): string {
  const m = JSON.stringify(marker);
  switch (d.language) {
    case 'python': return `import os; os.system("touch " + ${m})`;
    case 'typescript': return `require("fs").writeFileSync(${m}, "x");`;
    case 'go': return `os.WriteFile(${m}, nil, 0o644)`;
    case 'rust': return `std::fs::write(${m}, "x").unwrap();`;
    case 'java': return `java.nio.file.Files.writeString(java.nio.file.Path.of(${m}), "x");`;
  }
}

/** Text that leaves a line comment, a docstring or a block comment, runs `line`, and comments out what follows. */
function breakouts(d: Dialect, line: string): { comment: string; header: string } {
  const lead = d.language === 'python' ? '#' : '//';
  const header = d.language === 'python' ? `"""\n${line}\n"""` : d.language === 'typescript' || d.language === 'java' ? `*/ ${line} /*` : `\n${line}\n${lead}`;
  return { comment: `\n${line}\n${lead}`, header };
}

function entry(method: string, url: string, requestBody: string | null, responseBody: string): unknown {
  return {
    startedDateTime: '2024-05-01T10:00:00.000Z',
    time: 1,
    cache: {},
    timings: { send: 0, wait: 1, receive: 0 },
    request: {
      method, url, httpVersion: 'HTTP/1.1', queryString: [], cookies: [], headersSize: -1, bodySize: requestBody?.length ?? 0,
      headers: requestBody ? [{ name: 'content-type', value: 'application/json' }] : [],
      ...(requestBody ? { postData: { mimeType: 'application/json', text: requestBody } } : {}),
    },
    response: {
      status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', cookies: [], redirectURL: '', headersSize: -1, bodySize: -1,
      headers: [{ name: 'content-type', value: 'application/json' }],
      content: { size: responseBody.length, mimeType: 'application/json', text: responseBody },
    },
  };
}

/** Rust builds with Debian's toolchain from Debian's crates, offline (as in generate.test.ts). */
function options(baseUrl?: string): RunnerOptions {
  return { baseUrl, cacheDir: path.join(ROOT, '.cache', 'runners'), nodeModules: path.join(ROOT, 'node_modules'), timeoutMs: 180_000, rust: DEBIAN_RUST, offlineCrates: DEBIAN_CRATES };
}

for (const d of DIALECTS) {
  test(`${d.language} (${d.framework}): code in a JSON key, a method or a redacted field name stays text and never runs`, { timeout: 600_000 }, async (t) => {
    const dir = tmpDir(t, 'chaos-inject-');
    const marker = path.join(dir, 'PWNED');
    const line = code(d, marker);
    const { comment, header } = breakouts(d, line);
    const injectResponse = JSON.stringify({ ok: true, [`k${comment}`]: TIMESTAMP });
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/api/inject' ? injectResponse : '{"ok":true}');
    });
    const backend = await listen(t, server);
    const har = path.join(dir, 'traffic.har');
    // Import refuses a method that is not an HTTP token (har-import-shapes.test.ts), so the hostile methods are
    // written into the database afterwards: the generator must hold even against a database made some other way.
    const hostileMethods: Record<string, string> = {
      HOSTILEA: `GET${comment}`,
      HOSTILEB: `GET("${backend.url}", timeout=1) if __import__("os").system("touch ${marker}") == 0 else requests.GET`,
    };
    const entries = [
      entry('GET', `${backend.url}/api/inject`, null, injectResponse),
      entry('HOSTILEA', `${backend.url}/api/method`, null, '{"ok":true}'),
      entry('HOSTILEB', `${backend.url}/api/call`, null, '{"ok":true}'),
      entry('POST', `${backend.url}/api/login`, JSON.stringify({ [`password${header}`]: 's3cret' }), '{"ok":true}'),
    ];
    fs.writeFileSync(har, JSON.stringify({ log: { version: '1.2', creator: { name: 'test', version: '1' }, entries } }));
    const db = path.join(dir, 'traffic.db');
    const imported = runCli(['import', har, '--db', db]);
    assert.equal(imported.code, 0, imported.stderr);
    const sqlText = (v: string): string => `'${v.replace(/'/g, "''")}'`;
    for (const [placeholder, method] of Object.entries(hostileMethods)) sqlite3(db, `UPDATE exchanges SET method = ${sqlText(method)} WHERE method = ${sqlText(placeholder)}`);
    assert.equal(sqlite3(db, "SELECT count(*) FROM exchanges WHERE method LIKE 'GET%' AND length(method) > 3"), '2');
    const out = path.join(dir, 'out');
    const generated = runCli(['generate', '--input', db, '--language', d.language, '--framework', d.framework === 'node:test' ? 'node' : d.framework, '--out', out]);
    assert.equal(generated.code, 0, generated.stderr);

    const text = fs.readFileSync(path.join(out, d.file), 'utf8');
    assert.deepEqual(text.split(/\r\n|\r|\n/).filter((l) => l.trim().startsWith(line)), [], 'no line starts with the injected code');
    assert.equal(text.includes('s3cret'), false, 'the secret itself stays redacted');

    if (runnerAvailable(d.runner, options(), ROOT) !== null) return; // the text checks above still ran
    // rustfmt would lay the hostile method's long literal out over several lines: a style finding, not a compile error
    // (cargo test compiles the suite below, and runs nothing when it does not compile).
    if (d.language !== 'rust') {
      const check = await checkSuite(d.runner, out, options());
      assert.ok(check.ok, `the suite compiles:\n${check.commands.join('\n')}\n${check.output}`);
    }
    const run = await runSuite(d.runner, out, options(backend.url));
    assert.ok(run.exitCode !== null && !run.timedOut, run.output);
    assert.ok(run.total >= 1, `the runner ran the tests:\n${run.output}`);
    assert.equal(fs.existsSync(marker), false, `the injected code ran:\n${text}`);
  });
}
