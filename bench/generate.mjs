// Generation benchmark: the mutation score of each generated suite (how many of six mutants of the sample backend
// make it fail; target ≥ 90 %) and the time to learn and generate from 10,000 captured exchanges (target < 5 s).
//
//   npm run bench:generate                       # everything
//   node --import tsx bench/generate.mjs --exchanges 2000 --only python-pytest
//
// Runs on loopback only: the sample backend, a capture proxy in front of it, and a mutating proxy per mutant.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { exchanges: { type: 'string', default: '10000' }, only: { type: 'string' } } });

const { createSampleBackend } = await import(path.join(ROOT, 'examples/sample-backend/server.js'));
const { CaptureSession } = await import(path.join(ROOT, 'src/core/capture/captureSession.ts'));
const { TrafficDb } = await import(path.join(ROOT, 'src/core/store/database.ts'));
const { learn } = await import(path.join(ROOT, 'src/core/learn/learn.ts'));
const { writeSuite } = await import(path.join(ROOT, 'src/core/generate/generate.ts'));
const { DIALECTS } = await import(path.join(ROOT, 'src/core/generate/dialects.ts'));
const { checkSuite, runSuite, runnerAvailable, DEBIAN_RUST, DEBIAN_CRATES } = await import(path.join(ROOT, 'src/core/generate/runners.ts'));
const { MUTATIONS, startMutant } = await import(path.join(ROOT, 'test/helpers/mutants.ts'));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-generate-'));
const cleanups = [];
/** A stand-in for node:test's context, for the test helpers this reuses. */
const ctx = { after: (fn) => cleanups.push(fn) };

async function listenOn(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** Captures `n` exchanges of a realistic mix: reads of many users, creates, updates, deletes, logins, errors. */
async function captureMix(n, db) {
  const backend = await listenOn(createSampleBackend());
  const session = await CaptureSession.start({ mode: 'reverse', target: backend.url, port: 0, output: db, store: { maxPendingRecords: 1_000_000 } });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const base = `http://127.0.0.1:${session.address.port}`;
  const call = (method, p, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const data = body ? JSON.stringify(body) : undefined;
      const req = http.request(base + p, { method, agent, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}), ...headers } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text ? JSON.parse(text) : {}));
      });
      req.on('error', reject);
      req.end(data);
    });
  let sent = 0;
  const { token } = await call('POST', '/api/login', { username: 'demo', password: 'demo-password' });
  while (sent < n) {
    const batch = [];
    for (let i = 0; i < 50 && sent < n; i++, sent++) {
      const k = sent % 10;
      if (k < 5) batch.push(call('GET', `/api/users/${1 + (sent % 3)}`));
      else if (k === 5) batch.push(call('GET', '/api/users'));
      else if (k === 6) batch.push(call('POST', '/api/users', { name: `User ${sent}`, email: `u${sent}@example.com` }));
      else if (k === 7) batch.push(call('GET', '/api/orders', undefined, { authorization: `Bearer ${token}` }));
      else if (k === 8) batch.push(call('GET', '/api/error'));
      else batch.push(call('GET', `/api/users/${100000 + sent}`));
    }
    await Promise.all(batch);
  }
  await session.stop();
  agent.destroy();
  await backend.close();
  return sent + 1;
}

/** The scripted session the tests use (create → update → read → login → order → delete ...). */
async function scripted(db) {
  const { captureSampleSession } = await import(path.join(ROOT, 'test/helpers/scripted.ts'));
  const backendCtx = { after: (fn) => cleanups.push(fn) };
  return captureSampleSession(backendCtx, db);
}

const dialects = DIALECTS.filter((d) => !flags.only || flags.only.split(',').includes(d.id));
const results = { timing: {}, mutation: {} };
try {
  // 1. Learn and generate from N exchanges.
  const n = Number(flags.exchanges);
  const bigDb = path.join(scratch, 'big.db');
  console.log(`capturing ${n} exchanges through the proxy…`);
  const captured = await captureMix(n, bigDb);
  const t0 = performance.now();
  const db = await TrafficDb.open(bigDb);
  const tOpen = performance.now();
  const model = learn(db);
  const tLearn = performance.now();
  db.close();
  const gen = {};
  for (const d of dialects) {
    const g0 = performance.now();
    writeSuite(d, model, path.join(scratch, `big-${d.id}`), { source: 'big.db', onEdited: 'overwrite' });
    gen[d.id] = performance.now() - g0;
  }
  const total = performance.now() - t0;
  results.timing = { exchanges: captured, openMs: tOpen - t0, learnMs: tLearn - tOpen, generateMs: gen, totalMs: total, scenarios: model.scenarios.length, endpoints: model.endpoints.length };
  console.log(`\nlearn + generate from ${captured} exchanges: open ${(tOpen - t0).toFixed(0)} ms, learn ${(tLearn - tOpen).toFixed(0)} ms, generate ${Object.entries(gen).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}; total ${(total / 1000).toFixed(2)} s (target < 5 s) → ${model.endpoints.length} endpoints, ${model.scenarios.length} scenarios`);

  // 2. Mutation score per language.
  const smallDb = path.join(scratch, 'scripted.db');
  await scripted(smallDb);
  const tdb = await TrafficDb.open(smallDb);
  const small = learn(tdb);
  tdb.close();
  console.log('\nmutation score (six mutants of the sample backend; a mutant is caught when the suite fails):');
  for (const d of dialects) {
    // Rust offline, from Debian's toolchain and crate directory (no crates.io here), as the tests do.
    const options = { env: { CHAOS_SECRET_PASSWORD: 'demo-password' }, cacheDir: path.join(ROOT, '.cache', 'runners'), nodeModules: path.join(ROOT, 'node_modules'), timeoutMs: 300_000, rust: DEBIAN_RUST, offlineCrates: DEBIAN_CRATES };
    const missing = runnerAvailable(d.runner, options, ROOT);
    if (missing) {
      console.log(`  ${d.id.padEnd(20)} skipped: ${missing}`);
      continue;
    }
    const dir = path.join(scratch, `suite-${d.id}`);
    writeSuite(d, small, dir, { source: 'scripted.db', onEdited: 'overwrite' });
    const check = await checkSuite(d.runner, dir, options);
    if (!check.ok) {
      console.log(`  ${d.id.padEnd(20)} does not compile: ${check.output.split('\n').slice(0, 3).join(' ')}`);
      continue;
    }
    const caught = [];
    const missed = [];
    for (const m of MUTATIONS) {
      const backend = await listenOn(createSampleBackend());
      const mutant = await startMutant(ctx, backend.url, m);
      const r = await runSuite(d.runner, dir, { ...options, baseUrl: mutant.url });
      (r.ok || r.failed === 0 ? missed : caught).push(m);
      await mutant.close();
      await backend.close();
    }
    const score = caught.length / MUTATIONS.length;
    results.mutation[d.id] = { caught, missed, score };
    console.log(`  ${d.id.padEnd(20)} ${(score * 100).toFixed(0).padStart(3)} % (${caught.length}/${MUTATIONS.length})${missed.length ? `; missed: ${missed.join(', ')}` : ''}`);
  }
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'generate.json'), JSON.stringify(results, null, 2));
} finally {
  for (const fn of cleanups.reverse()) await fn();
  fs.rmSync(scratch, { recursive: true, force: true });
}
