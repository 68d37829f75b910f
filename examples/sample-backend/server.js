// A small REST API to capture and test against: users and orders with JSON bodies, an id route, POST/PUT/DELETE,
// a bearer-token login, an error route, a plain-text version and a health check. Node built-ins only.
//   node examples/sample-backend/server.js [port]      (default 9000, 127.0.0.1)
'use strict';
const http = require('node:http');
const { randomUUID } = require('node:crypto');

function createSampleBackend() {
  const users = new Map();
  const orders = new Map();
  const tokens = new Set();
  let nextUserId = 1;
  for (const name of ['Ada Lovelace', 'Alan Turing', 'Grace Hopper']) {
    const id = nextUserId++;
    users.set(id, { id, name, email: `${name.split(' ')[0].toLowerCase()}@example.com`, createdAt: new Date().toISOString() });
  }

  const send = (res, status, body, headers = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': randomUUID(), ...headers });
    res.end(text);
  };
  const readJson = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        if (!chunks.length) return resolve({});
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(e);
        }
      });
      req.on('error', reject);
    });
  const authorized = (req) => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
    return Boolean(m && tokens.has(m[1]));
  };
  const validUser = (b) => typeof b.name === 'string' && b.name.length > 0 && typeof b.email === 'string' && b.email.includes('@');

  return http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (url.pathname === '/health') return send(res, 200, { status: 'ok', time: new Date().toISOString() });
      if (url.pathname === '/api/login' && req.method === 'POST') {
        const body = await readJson(req);
        if (body.username !== 'demo' || body.password !== 'demo-password') return send(res, 401, { error: 'invalid credentials' });
        const token = randomUUID();
        tokens.add(token);
        return send(res, 200, { token, expiresIn: 3600 });
      }
      if (url.pathname === '/api/error') return send(res, 500, { error: 'something broke', traceId: randomUUID() });
      if (url.pathname === '/api/version' && req.method === 'GET') {
        // Plain text, not JSON: generated tests assert a small stable text body whole.
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': randomUUID() });
        return res.end('sample-backend 1.0.0\n');
      }
      if (parts[0] === 'api' && parts[1] === 'users') {
        if (parts.length === 2 && req.method === 'GET') {
          const limit = Number(url.searchParams.get('limit') || 100);
          return send(res, 200, { items: [...users.values()].slice(0, limit), total: users.size });
        }
        if (parts.length === 2 && req.method === 'POST') {
          const body = await readJson(req);
          if (!validUser(body)) return send(res, 422, { error: 'name and a valid email are required' });
          const id = nextUserId++;
          const user = { id, name: body.name, email: body.email, createdAt: new Date().toISOString() };
          users.set(id, user);
          return send(res, 201, user, { location: `/api/users/${id}` });
        }
        const id = Number(parts[2]);
        if (parts.length === 3 && Number.isInteger(id)) {
          const user = users.get(id);
          if (!user) return send(res, 404, { error: `user ${id} not found` });
          if (req.method === 'GET') return send(res, 200, user);
          if (req.method === 'PUT') {
            const body = await readJson(req);
            if (!validUser(body)) return send(res, 422, { error: 'name and a valid email are required' });
            const updated = { ...user, name: body.name, email: body.email, updatedAt: new Date().toISOString() };
            users.set(id, updated);
            return send(res, 200, updated);
          }
          if (req.method === 'DELETE') {
            users.delete(id);
            res.writeHead(204, { 'x-request-id': randomUUID() });
            return res.end();
          }
        }
      }
      if (parts[0] === 'api' && parts[1] === 'orders') {
        if (!authorized(req)) return send(res, 401, { error: 'missing or invalid bearer token' }, { 'www-authenticate': 'Bearer' });
        if (parts.length === 2 && req.method === 'GET') return send(res, 200, { items: [...orders.values()] });
        if (parts.length === 2 && req.method === 'POST') {
          const body = await readJson(req);
          if (!users.has(Number(body.userId)) || !Array.isArray(body.items) || !body.items.length) return send(res, 422, { error: 'userId of an existing user and a non-empty items list are required' });
          const order = { id: randomUUID(), userId: Number(body.userId), items: body.items, status: 'pending', createdAt: new Date().toISOString() };
          orders.set(order.id, order);
          return send(res, 201, order);
        }
        if (parts.length === 3) {
          const order = orders.get(parts[2]);
          if (!order) return send(res, 404, { error: 'order not found' });
          return send(res, 200, order);
        }
      }
      return send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    } catch {
      return send(res, 400, { error: 'request body is not valid JSON' });
    }
  });
}

module.exports = { createSampleBackend };

if (require.main === module) {
  const port = Number(process.argv[2] || 9000);
  createSampleBackend().listen(port, '127.0.0.1', () => console.log(`sample backend on http://127.0.0.1:${port}`));
}
