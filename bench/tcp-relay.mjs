// The cheapest possible Node forwarder, as a floor: every client connection gets its own upstream TCP connection
// and the bytes are piped both ways. No HTTP parsing, no recording: what is physically possible on this machine
// for a Node process between the client and the backend.
//   node bench/tcp-relay.mjs --target http://127.0.0.1:B [--port 0]
import * as net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, target: { type: 'string' } } });
if (!values.target) throw new Error('--target URL is required');
const target = new URL(values.target);
const targetPort = Number(target.port || 80);
const targetHost = target.hostname;

const server = net.createServer({ noDelay: true }, (client) => {
  const upstream = net.connect({ port: targetPort, host: targetHost, noDelay: true });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
