// Our wire capture proxy with recording cut off: the same TcpProxy and tap (WireCapture), the protocol's parser
// run over every chunk, and a sink that only counts the calls it is given. bench/protocols.mjs runs it beside the
// bare pipe and the real proxy, so the gap between pipe and ours splits into parsing and recording.
//   node bench/wire-parse-only.mjs --protocol postgres|redis --target 127.0.0.1:5432 [--port 0] [--root CHECKOUT]
// Prints "listening PORT"; on SIGINT or SIGTERM prints "parsed N calls" and exits.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const { values: opt } = parseArgs({
  options: {
    protocol: { type: 'string' },
    target: { type: 'string' },
    port: { type: 'string', default: '0' },
    root: { type: 'string' },
  },
});
if (!opt.protocol || !opt.target) throw new Error('--protocol and --target HOST:PORT are required');

// Bundled as the CLI is (scripts/build.mjs), so the code measured is the same shape as dist/cli.js's.
const ROOT = opt.root ? path.resolve(opt.root) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-bench-parse-only-'));
esbuild.buildSync({
  stdin: { contents: "export * from './src/core/protocols/wireCapture'; export * from './src/core/protocols/registry';", resolveDir: ROOT, loader: 'ts' },
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(bundleDir, 'parse-only.js'), logLevel: 'warning',
});
const { WireCapture, loadProtocol } = createRequire(import.meta.url)(path.join(bundleDir, 'parse-only.js'));
fs.rmSync(bundleDir, { recursive: true, force: true });

const [host, port] = [opt.target.slice(0, opt.target.lastIndexOf(':')), Number(opt.target.slice(opt.target.lastIndexOf(':') + 1))];
let seq = 0;
/** Takes every call and keeps nothing: no JSON, no batch, no worker. */
const sink = { enqueueExchange: () => true, enqueueWireCall: () => true };
const capture = new WireCapture(await loadProtocol(opt.protocol), { name: 'parse-only', listen: { host: '127.0.0.1', port: Number(opt.port) }, target: { host, port }, nextSeq: () => ++seq }, sink);
const bound = await capture.listen();
console.log(`listening ${bound.port}`);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.log(`parsed ${capture.stats.calls} calls`);
    process.exit(0);
  });
}
