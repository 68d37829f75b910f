// Benchmark bulk source: a TCP server that reads one line "BYTES\n" from each connection, sends that many bytes as
// fast as the socket takes them, then ends. Prints "listening PORT" when ready.
//   node bench/bulk-source.mjs [--port 0]
import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const block = Buffer.alloc(64 * 1024, 'x');
const MAX_BYTES = 4 * 1024 ** 3;

function send(socket, total) {
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, block.length);
      left -= n;
      if (!socket.write(n === block.length ? block : block.subarray(0, n))) return socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
}

const server = net.createServer({ noDelay: true }, (socket) => {
  let line = '';
  socket.on('error', () => socket.destroy());
  const onData = (chunk) => {
    line += chunk.toString('latin1');
    const nl = line.indexOf('\n');
    if (nl < 0) {
      if (line.length > 32) socket.destroy();
      return;
    }
    socket.off('data', onData);
    const total = Number(line.slice(0, nl));
    if (!Number.isSafeInteger(total) || total < 0 || total > MAX_BYTES) return socket.destroy();
    send(socket, total);
  };
  socket.on('data', onData);
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
