// Benchmark backend: answers every request with the same 1 KiB JSON body.
//   node bench/backend.mjs [--port 0] [--work-ms 2]
// --work-ms N simulates N ms of work per request with a setTimeout (waiting, not CPU: a backend that spends its
// time on I/O, which is what a proxy in front of a realistic service sees). Prints "listening PORT" when ready.
import * as http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'work-ms': { type: 'string', default: '0' } } });
const workMs = Number(values['work-ms']);

/** A JSON document padded to exactly `size` bytes. */
function jsonBody(size) {
  const doc = { id: 42, name: 'benchmark', tags: ['a', 'b', 'c'], pad: '' };
  const base = Buffer.byteLength(JSON.stringify(doc));
  doc.pad = 'x'.repeat(size - base);
  return Buffer.from(JSON.stringify(doc));
}

const body = jsonBody(1024);
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };

function answer(res) {
  res.writeHead(200, headers);
  res.end(body);
}

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => (workMs > 0 ? setTimeout(answer, workMs, res) : answer(res)));
});
server.keepAliveTimeout = 30_000;
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
