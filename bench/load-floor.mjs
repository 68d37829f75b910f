// The least a Node client can spend per request, for bench/load.mjs --floor: raw keep-alive sockets, one static read
// buffer, a prebuilt GET written again on each read, nothing parsed, timed or counted but reads (on loopback a
// 1 KiB response arrives in one read). What the generator costs above this is its own; the rest is Node and the
// kernel, which every Node client pays.
//   node bench/load-floor.mjs --target URL [--connections 50] [--duration-ms 5000]     prints {"completed": N}
import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values: o } = parseArgs({ options: { target: { type: 'string' }, connections: { type: 'string', default: '50' }, 'duration-ms': { type: 'string', default: '5000' } } });
const url = new URL(o.target);
const request = Buffer.from(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
const buffer = Buffer.allocUnsafe(64 * 1024);
let completed = 0;
let sending = true;
const sockets = [];
for (let i = 0; i < Number(o.connections); i++) {
  const socket = net.connect({
    host: url.hostname, port: Number(url.port),
    onread: { buffer, callback: () => (completed++, sending && socket.write(request), true) },
  });
  socket.setNoDelay(true);
  socket.on('connect', () => socket.write(request));
  sockets.push(socket);
}
setTimeout(() => {
  sending = false;
  console.log(JSON.stringify({ completed }));
  for (const s of sockets) s.destroy();
}, Number(o['duration-ms']));
