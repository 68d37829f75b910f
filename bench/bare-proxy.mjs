// The floor any Node proxy starts from: http-proxy forwarding to the target, nothing recorded.
//   node bench/bare-proxy.mjs --target http://127.0.0.1:B [--port 0] [--keepalive]
// Without --keepalive it is httpProxy.createProxyServer({ target }) with every default (http-proxy then opens a
// new upstream connection per request); --keepalive gives it a keep-alive agent, as our proxy has.
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import httpProxy from 'http-proxy';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, target: { type: 'string' }, keepalive: { type: 'boolean' } } });
if (!values.target) throw new Error('--target URL is required');

const options = { target: values.target };
if (values.keepalive) options.agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024 });
const proxy = httpProxy.createProxyServer(options);
proxy.on('error', (_err, _req, res) => {
  if (res && !res.headersSent && typeof res.writeHead === 'function') res.writeHead(502);
  res?.end?.();
});
// What proxy.listen() does, with the server in hand to report its port.
const server = http.createServer((req, res) => proxy.web(req, res));
server.listen(Number(values.port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
