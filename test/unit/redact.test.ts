import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redactor, defaultRedaction } from '../../src/core/capture/redact';

const r = new Redactor(defaultRedaction(['ssn']), 'salt-1');
const text = (d: Uint8Array): string => Buffer.from(d).toString('utf8');

test('headers: secret headers become stable markers, others stay', () => {
  const { pairs, changed } = r.headers([
    ['Authorization', 'Bearer abc.def'],
    ['Cookie', 'sid=123; theme=dark'],
    ['X-Api-Key', 'k-1'],
    ['X-CSRF-Token', 't-1'],
    ['Accept', 'application/json'],
  ]);
  assert.ok(changed);
  const map = Object.fromEntries(pairs!);
  assert.match(map.Authorization, /^Bearer \[REDACTED:[0-9a-f]{8}\]$/);
  assert.match(map.Cookie, /^sid=\[REDACTED:[0-9a-f]{8}\]; theme=\[REDACTED:[0-9a-f]{8}\]$/);
  assert.match(map['X-Api-Key'], /^\[REDACTED:/);
  assert.match(map['X-CSRF-Token'], /^\[REDACTED:/);
  assert.equal(map.Accept, 'application/json');
});

test('markers: equal secrets match, different secrets and salts differ', () => {
  assert.equal(r.marker('s3cret'), r.marker('s3cret'));
  assert.notEqual(r.marker('s3cret'), r.marker('s3cret2'));
  assert.notEqual(r.marker('s3cret'), new Redactor(defaultRedaction(), 'salt-2').marker('s3cret'));
});

test('set-cookie keeps attributes', () => {
  const { pairs } = r.headers([['Set-Cookie', 'session=xyz; Path=/; HttpOnly']]);
  assert.match(pairs![0][1], /^session=\[REDACTED:[0-9a-f]{8}\]; Path=\/; HttpOnly$/);
});

test('query parameters with secret names are redacted, the rest of the URL is untouched', () => {
  const { url, changed } = r.url('http://h/a?access_token=abc&page=2&api_key=zz#frag');
  assert.ok(changed);
  assert.match(url, /^http:\/\/h\/a\?access_token=%5BREDACTED%3A[0-9a-f]{8}%5D&page=2&api_key=%5BREDACTED%3A[0-9a-f]{8}%5D#frag$/);
  assert.deepEqual(r.url('http://h/a?page=2'), { url: 'http://h/a?page=2', changed: false });
});

test('JSON bodies: nested fields by name, extra names, non-secret values kept', () => {
  const body = Buffer.from(JSON.stringify({ user: { name: 'a', password: 'p', ssn: '123' }, items: [{ apiKey: 'k' }], tokenCount: 3 }));
  const { data, changed } = r.body(body, 'application/json');
  assert.ok(changed);
  const out = JSON.parse(text(data));
  assert.equal(out.user.name, 'a');
  assert.match(out.user.password, /^\[REDACTED:/);
  assert.match(out.user.ssn, /^\[REDACTED:/);
  assert.match(out.items[0].apiKey, /^\[REDACTED:/);
  assert.ok(!text(data).includes('"p"'));
});

test('truncated JSON and form bodies are redacted by pattern', () => {
  const partial = r.body(Buffer.from('{"a":1,"secret":"xyz","b":[1,2'), 'application/json');
  assert.ok(partial.changed);
  assert.ok(!text(partial.data).includes('xyz'));
  const form = r.body(Buffer.from('user=a&password=hunter2'), 'application/x-www-form-urlencoded');
  assert.ok(!text(form.data).includes('hunter2'));
  assert.ok(text(form.data).startsWith('user=a&password='));
});

test('disabled redaction changes nothing', () => {
  const off = new Redactor({ ...defaultRedaction(), enabled: false }, 's');
  assert.deepEqual(off.headers([['Authorization', 'x']]), { pairs: [['Authorization', 'x']], changed: false });
  const b = Buffer.from('{"password":"x"}');
  assert.equal(off.body(b, 'application/json').data, b);
});

test('binary bodies are left alone', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]);
  assert.equal(r.body(png, 'image/png').changed, false);
});

test('mayRedactJson: false only where body() would leave the JSON unchanged (the wire fast path skips it then)', () => {
  const samples = [
    '{"args":["user:1"]}', '{"type":"bulk","value":"xxx"}', '{"rows":1,"tag":"SELECT 1"}', // nothing to redact
    '{"password":"hunter2"}', '{"user":{"API_KEY":"k"}}', '{"ssn":"123"}', // names, any depth, any case, extra names
    '{"\\u0074oken":"t"}', // a name spelled with an escape
    '{"note":"say \\"hi\\""}', // escapes, nothing to redact: may say true, must not be wrong
    '{"args":["SET","password","x"]}', // a secret's name as a value: body() keeps it, mayRedactJson may say true
    '{"session_id":"abc", "tok', // cut JSON: the pattern path
  ];
  for (const s of samples) {
    const changed = r.body(Buffer.from(s), 'application/json').changed;
    if (changed) assert.ok(r.mayRedactJson(s), `mayRedactJson said no to ${s}, which body() redacts`);
  }
  assert.deepEqual(samples.slice(0, 3).map((s) => r.mayRedactJson(s)), [false, false, false]);
  assert.ok(r.body(Buffer.from(samples[6]), 'application/json').changed, 'the escaped name is redacted (so the check above is of something)');
  assert.equal(new Redactor({ ...defaultRedaction(), enabled: false }, 's').mayRedactJson('{"password":"x"}'), false);
});

test('untyped JSON is found after leading whitespace', () => {
  const { data, changed } = r.body(Buffer.from('\n {"password":"PW-LLL"}'), undefined);
  assert.ok(changed);
  assert.match(JSON.parse(text(data)).password, /^\[REDACTED:[0-9a-f]{8}\]$/);
  assert.equal(r.body(Buffer.from('  plain words, password=x'), undefined).changed, false, 'untyped text that is not JSON is kept');
});

test('JSON: every string and number under a secret-named key is redacted, arrays and objects included', () => {
  const body = { tokens: ['tok-AAA', 'tok-BBB'], token: { access: 'acc-CCC', ttl: 3600, refresh: null }, apiKey: { v: 'key-DDD', ok: true }, secret: [[{ deep: 'sec-EEE' }]], name: 'kept' };
  const { data, changed } = r.body(Buffer.from(JSON.stringify(body)), 'application/json');
  assert.ok(changed);
  const out = text(data);
  for (const s of ['tok-AAA', 'tok-BBB', 'acc-CCC', '3600', 'key-DDD', 'sec-EEE']) assert.ok(!out.includes(s), `${s} is kept in ${out}`);
  const got = JSON.parse(out);
  const m = /^\[REDACTED:[0-9a-f]{8}\]$/;
  assert.equal(got.tokens.length, 2);
  assert.match(got.tokens[1], m);
  assert.deepEqual(Object.keys(got.token), ['access', 'ttl', 'refresh'], 'the names under the key stay readable');
  assert.match(got.token.access, m);
  assert.equal(got.token.refresh, null);
  assert.equal(got.apiKey.ok, true);
  assert.match(got.secret[0][0].deep, m);
  assert.equal(got.name, 'kept');
});

test('set-cookie: every cookie of a value that holds several is redacted', () => {
  const m = '\\[REDACTED:[0-9a-f]{8}\\]';
  const { pairs } = r.headers([
    ['Set-Cookie', 'a=SC-FFF; Path=/\nb=SC-GGG; Path=/; HttpOnly'],
    ['set-cookie', 'c=SC-HHH; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/, d=SC-III'],
  ]);
  assert.match(pairs![0][1], new RegExp(`^a=${m}; Path=/\\nb=${m}; Path=/; HttpOnly$`));
  assert.match(pairs![1][1], new RegExp(`^c=${m}; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/, d=${m}$`));
});

test('a password in the URL is redacted, the user name kept', () => {
  const m = '%5BREDACTED%3A[0-9a-f]{8}%5D';
  const { url, changed } = r.url('http://bob:PW-HHH@127.0.0.1:9/q?access_token=QT-III&x=1');
  assert.ok(changed);
  assert.match(url, new RegExp(`^http://bob:${m}@127\\.0\\.0\\.1:9/q\\?access_token=${m}&x=1$`));
  assert.match(r.url('wss://u:p@ss@h').url, new RegExp(`^wss://u:${m}@h$`), 'an unescaped @ in the password');
  assert.equal(new URL(url).password, encodeURIComponent(r.marker('PW-HHH')), 'still a URL, the marker as its password');
  for (const kept of ['http://bob@h/a', 'http://h/a@b:c', 'http://h/?q=a:b@c', 'http://:@h/', 'mailto:a:b@c']) {
    assert.deepEqual(r.url(kept), { url: kept, changed: false }, kept);
  }
});

test('a socket.io frame: the JSON after the packet head is redacted, the head kept', () => {
  const m = /^\[REDACTED:[0-9a-f]{8}\]$/;
  for (const head of ['42', '4217', '42/chat,', '42/chat,5', '451-']) {
    const { data, changed } = r.body(Buffer.from(`${head}["auth",{"token":"WS-JJJ"}]`), undefined);
    assert.ok(changed, head);
    const out = text(data);
    assert.ok(out.startsWith(`${head}["auth",{"token":"`), out);
    assert.match(JSON.parse(out.slice(head.length))[1].token, m);
  }
  // A cut frame (stored as text/plain) is redacted by pattern; numbers and other text are left alone.
  assert.ok(!text(r.body(Buffer.from('42["auth",{"token":"WS-JJJ","x":[1,'), 'text/plain').data).includes('WS-JJJ'));
  for (const kept of ['42', '3probe', '42 ["token"]', '42["token","x"]']) assert.equal(r.body(Buffer.from(kept), undefined).changed, false, kept);
});

test('a JSON body keeps a __proto__ key when it is redacted (it would set the prototype and vanish)', () => {
  const r = new Redactor(defaultRedaction([]), 'salt');
  const out = r.body(Buffer.from('{"__proto__":{"admin":true},"password":"p"}'), 'application/json');
  const parsed = JSON.parse(Buffer.from(out.data).toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['__proto__', 'password']);
  assert.notEqual(parsed.password, 'p');
});

test('a JSON key named like a redacted header (gRPC metadata) is redacted as the header: the scheme stays, each secret its own marker', () => {
  const r = new Redactor(defaultRedaction(), 'salt');
  const metadata = { authorization: 'Bearer tok-1', cookie: 'sid=abc', 'x-auth-token': 'one', 'x-session-token': 'two', 'x-request-id': 'req-1' };
  const text = JSON.stringify({ metadata });
  assert.equal(r.mayRedactJson(JSON.stringify({ metadata: { authorization: 'Bearer x' } })), true);
  const out = JSON.parse(Buffer.from(r.body(Buffer.from(text), 'application/json').data).toString()) as { metadata: Record<string, string> };
  assert.deepEqual(out.metadata, {
    authorization: `Bearer ${r.marker('tok-1')}`,
    cookie: `sid=${r.marker('abc')}`,
    'x-auth-token': r.marker('one'),
    'x-session-token': r.marker('two'),
    'x-request-id': 'req-1',
  });
  assert.notEqual(r.marker('one'), r.marker('two'));
});

test('a cut JSON body (past the body cap) still has a header-named key redacted', () => {
  const r = new Redactor(defaultRedaction(), 'salt');
  const cutText = '{"metadata":{"authorization":"Bearer tok-1","x-request-id":"r"},"decoded":[{"na';
  const out = Buffer.from(r.body(Buffer.from(cutText), 'application/json').data).toString();
  assert.equal(out, `{"metadata":{"authorization":"Bearer ${r.marker('tok-1')}","x-request-id":"r"},"decoded":[{"na`);
});
