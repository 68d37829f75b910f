// Property-run benchmark: 100 runs of sequences of up to 10 commands (fast-check draws the length; commands
// whose chained values do not exist yet are skipped, so fewer are sent) against the example backend on loopback
// (clean: the time per run), then the same against its use-after-free version (the time to find and shrink the
// failure to a minimal sequence). Then, when PostgreSQL is installed, transaction_atomicity against the stateful
// example backend (test/fixtures/properties/statefulBackend.js): trials per second on the clean service (each a
// few transfers with a connection reset mid-way through the invariant's fault proxy), and the time to shrink the
// non-atomic transfer to its minimal case.
//
//   npm run bench:properties
//   node --import tsx bench/properties.mjs --runs 500 --max-steps 20 --invariant-trials 50
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '100' }, 'max-steps': { type: 'string', default: '10' }, seed: { type: 'string', default: '1' }, 'invariant-trials': { type: 'string', default: '20' } } });
const runs = Number(flags.runs);
const maxSteps = Number(flags['max-steps']);

const { createPropertiesBackend, API_TOKEN } = await import(path.join(ROOT, 'test/fixtures/properties/backend.js'));
const { drivePropertiesSession } = await import(path.join(ROOT, 'test/helpers/propertiesBackend.ts'));
const { CaptureSession } = await import(path.join(ROOT, 'src/core/capture/captureSession.ts'));
const { runProperties } = await import(path.join(ROOT, 'src/core/properties/properties.ts'));

async function listenOn(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-properties-'));
try {
  const db = path.join(scratch, 'traffic.db');
  const capturedFrom = await listenOn(createPropertiesBackend());
  const session = await CaptureSession.start({ mode: 'reverse', target: capturedFrom.url, port: 0, output: db });
  await drivePropertiesSession(`http://127.0.0.1:${session.address.port}`);
  await session.stop();
  await capturedFrom.close();

  const env = { CHAOS_SECRET_AUTHORIZATION: API_TOKEN };
  const rows = [];
  for (const bugs of [[], ['use-after-free']]) {
    const backend = await listenOn(createPropertiesBackend({ bugs }));
    const t0 = performance.now();
    const r = await runProperties({ database: db, target: backend.url, runs, seed: Number(flags.seed), maxSteps, timeoutMs: 10_000, env, store: false });
    const ms = performance.now() - t0;
    await backend.close();
    const v = r.violations[0];
    rows.push({
      backend: bugs.length ? bugs.join(',') : 'clean',
      runs: r.runs,
      requests: r.requests,
      'total ms': Math.round(ms),
      'ms per run': r.timing.perRunMs,
      'requests per run': Math.round((r.requests / Math.max(1, r.runs)) * 10) / 10,
      'shrink ms': r.timing.shrinkMs,
      violation: v ? `${v.check} in ${v.minimalExample.length} steps` : 'none',
    });
  }
  console.log(`chaos-testing properties: ${runs} runs of up to ${maxSteps} commands, seed ${flags.seed}, loopback (indicative: the machine may be loaded)`);
  console.table(rows);
  await invariantSection();
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}

/** transaction_atomicity on real PostgreSQL (skipped, with the reason, when it is not installed). */
async function invariantSection() {
  const { postgresUnavailable, startPostgres } = await import(path.join(ROOT, 'test/helpers/postgresServer.ts'));
  const missing = postgresUnavailable();
  if (missing) {
    console.log(`transaction_atomicity: skipped (${missing})`);
    return;
  }
  const { createStatefulBackend, SCHEMA } = await import(path.join(ROOT, 'test/fixtures/properties/statefulBackend.js'));
  const { closedPort } = await import(path.join(ROOT, 'test/helpers/index.ts'));
  const { Client } = await import('pg');
  const pg = await startPostgres();
  const trials = Number(flags['invariant-trials']);
  try {
    const database = `postgres://postgres@127.0.0.1:${pg.port}/postgres`;
    const rows = [];
    for (const bugs of [[], ['non-atomic-transfer']]) {
      const c = new Client({ connectionString: database });
      await c.connect();
      await c.query(SCHEMA);
      await c.end();
      // The service reaches PostgreSQL at a port where the invariant's proxy will listen; Redis is not used here.
      const listen = await closedPort();
      const service = await listenOn(createStatefulBackend({ pg: listen, redis: await closedPort(), queueRedis: await closedPort(), breakerRedis: await closedPort(), bugs }));
      const options = JSON.stringify({
        proxy: { listen: `127.0.0.1:${listen}`, upstream: `127.0.0.1:${pg.port}` }, database, sum: 'SELECT SUM(balance) FROM accounts',
        transfer: { method: 'POST', path: '/api/transfers', body: { from: '{from}', to: '{to}', amount: '{amount}' } }, accounts: [1, 2, 3], runs: trials,
      });
      const t0 = performance.now();
      const r = await runProperties({ database: path.join(scratch, 'none.db'), target: service.url, runs: 0, seed: Number(flags.seed), maxSteps: 1, timeoutMs: 10_000, store: false, invariants: [`transaction_atomicity=${options}`] });
      const ms = performance.now() - t0;
      await service.close();
      const o = r.invariants[0];
      const v = r.violations[0];
      rows.push({
        backend: bugs.length ? bugs.join(',') : 'clean',
        trials: o.trials,
        'total ms': Math.round(ms),
        'trials per s': Math.round(((o.trials ?? 0) / (ms / 1000)) * 10) / 10,
        'shrink ms': o.shrinkMs,
        violation: v ? `${v.minimalExample.length} steps` : 'none',
      });
    }
    console.log(`transaction_atomicity: up to ${trials} trials, seed ${flags.seed}, PostgreSQL ${pg.port} through the fault proxy on loopback`);
    console.table(rows);
  } finally {
    await pg.stop();
  }
}
