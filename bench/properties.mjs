// Property-run benchmark: 100 runs of sequences of up to 10 commands (fast-check draws the length; commands
// whose chained values do not exist yet are skipped, so fewer are sent) against the example backend on loopback
// (clean: the time per run), then the same against its use-after-free version (the time to find and shrink the
// failure to a minimal sequence).
//
//   npm run bench:properties
//   node --import tsx bench/properties.mjs --runs 500 --max-steps 20
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '100' }, 'max-steps': { type: 'string', default: '10' }, seed: { type: 'string', default: '1' } } });
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
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
