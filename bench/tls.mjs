// TLS interception benchmark (issue 12, point 4): everything on 127.0.0.1, each part in its own process.
//
//   npm run bench:tls                         # default run (about 30 s)
//   node --import tsx bench/tls.mjs --seconds 2 --connections 10
//
// Processes: an HTTPS backend (HTTP/1.1, keep-alive, 1 KiB JSON, certificate from a backend test CA), the capture
// proxy in forward mode with TLS interception (leaves from an interception test CA, recording into a temporary
// store), and this one, the client (undici, keep-alive).
// 1 handshake: CONNECT + TLS handshake through the proxy for a host never seen (its leaf is minted) vs a host
//   already seen (the leaf comes from the cache), median of --handshakes each. The proxy does not reach the
//   upstream until a request comes, so the hosts can be made-up names.
// 2 throughput: requests per second for --seconds with --connections keep-alive connections, directly to the
//   backend over HTTPS vs through the intercepting proxy (decrypted, recorded, re-encrypted), and the ratio.
// Leaves are minted here by the openssl CLI (test/helpers/testCa.ts), so the first handshake includes two openssl
// runs; the product's CA (src/core/tls) mints in process. Raw figures go to bench/results/tls.json.
import { fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench/results/tls.json');
const HOST = '127.0.0.1';
const DEADLINE_MS = 170_000;

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    handshakes: { type: 'string', default: '15' },
    role: { type: 'string' },
    dir: { type: 'string' },
  },
});


/** The HTTPS backend: 1 KiB of JSON per request. */
async function backendRole(dir) {
  const https = await import('node:https');
  const body = JSON.stringify({ items: 'x'.repeat(1000) });
  const server = https.createServer({ cert: fs.readFileSync(path.join(dir, 'backend.pem')), key: fs.readFileSync(path.join(dir, 'backend.key')), keepAliveTimeout: 30_000 }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, HOST, () => process.send({ port: server.address().port }));
}

/** The capture proxy, forward mode, intercepting everything; leaves from the interception CA. */
async function proxyRole(dir) {
  const { makeTestCa } = await import(path.join(ROOT, 'test/helpers/testCa.ts'));
  const { CaptureSession } = await import(path.join(ROOT, 'src/core/capture/captureSession.ts'));
  const ca = await makeTestCa(dir, 'Bench Interception CA');
  const session = await CaptureSession.start({
    mode: 'forward',
    port: 0,
    output: path.join(dir, 'traffic.db'),
    intercept: { leaves: (h) => ca.secureContext(h), upstreamCa: fs.readFileSync(path.join(dir, 'backend-ca.pem'), 'utf8') },
  });
  process.on('message', async (m) => {
    if (m === 'cpu') return process.send({ cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 });
    if (m !== 'stop') return;
    const s = await session.stop(1_000);
    process.send({ stopped: s.stored, requests: s.requests });
    process.exit(0);
  });
  process.send({ port: session.address.port, ca: ca.certFile });
}

function child(role, dir) {
  // CHAOS_BENCH_PROF=DIR: a CPU profile of the proxy process (written when it stops) into DIR.
  const prof = role === 'proxy' && process.env.CHAOS_BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.CHAOS_BENCH_PROF] : [];
  const proc = fork(fileURLToPath(import.meta.url), ['--role', role, '--dir', dir], { execArgv: ['--import', 'tsx', ...prof], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { proc, ready };
}

function openssl(args) {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`openssl ${args[0]}: ${err}`))));
  });
}

/** CONNECT host:443 through the proxy, then a TLS handshake trusting `ca`; resolves with the milliseconds taken. */
function handshake(proxyPort, host, ca) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: HOST, port: proxyPort, method: 'CONNECT', path: `${host}:443`, agent: false });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) return reject(new Error(`CONNECT ${host}: ${res.statusCode}`));
      const s = tls.connect({ socket, servername: host, ca, ALPNProtocols: ['http/1.1'] }, () => {
        const ms = performance.now() - t0;
        s.destroy();
        resolve(ms);
      });
      s.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/** Requests per second over `connections` keep-alive connections for `seconds`, through `dispatcher`. */
async function rps(url, dispatcher, connections, seconds) {
  const { request } = await import('undici');
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const loop = async () => {
    while (Date.now() < end) {
      try {
        const r = await request(url, { dispatcher });
        await r.body.arrayBuffer();
        if (r.statusCode === 200) done++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  return { rps: (done * 1000) / (performance.now() - t0), requests: done, failed };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const deadline = setTimeout(() => {
    console.error('bench:tls: past the deadline, giving up');
    process.exit(1);
  }, DEADLINE_MS);
  deadline.unref();
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const handshakes = Number(values.handshakes);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-tls-'));
  const procs = [];
  try {
    // The backend's certificate, from its own CA (which the proxy trusts as upstream CA).
    const bca = [path.join(dir, 'backend-ca.pem'), path.join(dir, 'backend-ca.key')];
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', bca[1], '-out', bca[0], '-days', '1', '-subj', '/CN=Bench Backend CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
    await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'backend.key'), '-out', path.join(dir, 'backend.csr'), '-subj', '/CN=localhost']);
    fs.writeFileSync(path.join(dir, 'backend.ext'), 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
    await openssl(['x509', '-req', '-in', path.join(dir, 'backend.csr'), '-CA', bca[0], '-CAkey', bca[1], '-set_serial', '7', '-days', '1', '-out', path.join(dir, 'backend.pem'), '-extfile', path.join(dir, 'backend.ext')]);

    const backend = child('backend', dir);
    const proxy = child('proxy', dir);
    procs.push(backend.proc, proxy.proc);
    const [{ port: backendPort }, { port: proxyPort, ca: caFile }] = await Promise.all([backend.ready, proxy.ready]);
    const ca = fs.readFileSync(caFile);

    const first = [];
    const repeated = [];
    for (let i = 0; i < handshakes; i++) first.push(await handshake(proxyPort, `host${i}.bench.test`, ca));
    for (let i = 0; i < handshakes; i++) repeated.push(await handshake(proxyPort, 'host0.bench.test', ca));
    console.log(`handshake through interception: first (leaf minted) median ${median(first).toFixed(1)} ms, repeated (cached) median ${median(repeated).toFixed(1)} ms, ratio ${(median(first) / median(repeated)).toFixed(1)}x`);

    const { Agent, ProxyAgent } = await import('undici');
    const url = `https://localhost:${backendPort}/items`;
    const backendCa = fs.readFileSync(bca[0]);
    const direct = new Agent({ connections, connect: { ca: backendCa } });
    const viaProxy = new ProxyAgent({ uri: `http://${HOST}:${proxyPort}`, connections, requestTls: { ca } });
    const ask = (msg) => new Promise((resolve) => {
      proxy.proc.once('message', resolve);
      proxy.proc.send(msg);
    });
    // Each warm-up right before its run: connections left idle for longer than the keep-alive timeouts (4-5 s)
    // would be closed, and the measured run would start with fresh CONNECTs and handshakes.
    await rps(url, direct, connections, 0.5);
    const d = await rps(url, direct, connections, seconds);
    await rps(url, viaProxy, connections, 0.5);
    const cpu0 = (await ask('cpu')).cpuMs;
    const p = await rps(url, viaProxy, connections, seconds);
    const proxyCpuMs = (await ask('cpu')).cpuMs - cpu0;
    await direct.close();
    await viaProxy.close();
    const ratio = p.rps / d.rps;
    console.log(`HTTPS requests/s (${connections} keep-alive connections, ${seconds} s): direct ${d.rps.toFixed(0)}, through interception ${p.rps.toFixed(0)}, ratio ${ratio.toFixed(2)} (failed: ${d.failed} direct, ${p.failed} intercepted)`);
    console.log(`proxy CPU while intercepting: ${((proxyCpuMs * 1000) / p.requests).toFixed(0)} µs per request, ${((proxyCpuMs / (seconds * 1000)) * 100).toFixed(0)} % of one core`);

    proxy.proc.send('stop');
    const stopped = await new Promise((resolve) => proxy.proc.once('message', resolve));
    // Let it exit on its own (a CPU profile is written only at a clean exit).
    if (proxy.proc.exitCode === null) await new Promise((resolve) => proxy.proc.once('exit', resolve));
    console.log(`recorded ${stopped.stopped} exchanges (${stopped.requests - stopped.stopped} CONNECTs)`);
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, handshakeMs: { first, repeated }, rps: { direct: d, intercepted: p, ratio, proxyCpuMs }, recorded: stopped.stopped }, null, 2));
    console.log(`raw figures: ${path.relative(ROOT, RESULTS)}`);
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill();
    fs.rmSync(dir, { recursive: true, force: true });
    clearTimeout(deadline);
  }
}

if (values.role === 'backend') await backendRole(values.dir);
else if (values.role === 'proxy') await proxyRole(values.dir);
else await main();
