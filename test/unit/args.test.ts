import assert from 'node:assert/strict';
import { test } from 'node:test';
import { helpText, parseCommandArgs, sizeFlag, intFlag, type CommandSpec } from '../../src/cli/args';
import { main } from '../../src/cli/main';
import { UsageError } from '../../src/core/errors';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'a demo',
  positionals: [{ name: 'file', required: true, description: 'a file' }],
  flags: {
    port: { type: 'string', default: '8080', description: 'port' },
    tag: { type: 'string', multiple: true, description: 'tag' },
    quiet: { type: 'boolean', short: 'q', description: 'quiet' },
  },
};

test('parses flags, defaults and positionals', () => {
  const r = parseCommandArgs(spec, ['x.har', '--tag', 'a', '--tag', 'b', '-q']);
  assert.deepEqual(r.positionals, ['x.har']);
  assert.equal(r.flags.port, '8080');
  assert.deepEqual(r.flags.tag, ['a', 'b']);
  assert.equal(r.flags.quiet, true);
});

test('bad input is a UsageError naming the input', () => {
  assert.throws(() => parseCommandArgs(spec, ['x', '--nope']), (e: Error) => e instanceof UsageError && /unknown flag --nope/.test(e.message));
  assert.throws(() => parseCommandArgs(spec, []), /needs FILE/);
  assert.throws(() => parseCommandArgs(spec, ['a', 'b']), /unexpected argument 'b'/);
  assert.throws(() => parseCommandArgs(spec, ['a', '--port']), /--port needs a value/);
});

test('--help skips positional checks, and help text lists every flag', () => {
  assert.equal(parseCommandArgs(spec, ['--help']).flags.help, true);
  const help = helpText(spec);
  for (const f of ['--port', '--tag', '--quiet', '--help', 'FILE']) assert.ok(help.includes(f), f);
});

test('sizes and integers', () => {
  assert.equal(sizeFlag({ s: '1MiB' }, 's'), 1048576);
  assert.equal(sizeFlag({ s: '512k' }, 's'), 524288);
  assert.equal(sizeFlag({ s: '100' }, 's'), 100);
  assert.throws(() => sizeFlag({ s: 'big' }, 's'), /--s 'big' is not a size/);
  assert.equal(intFlag({ p: '80' }, 'p', 0, 65535), 80);
  assert.throws(() => intFlag({ p: '8.5' }, 'p', 0, 65535), /whole number/);
});

test('main: version, help, unknown command exit codes', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), statusInPlace: false };
  assert.equal(await main(['--version'], io), 0);
  assert.match(out.pop()!, /^\d+\.\d+\.\d+/);
  assert.equal(await main(['nope'], io), 2);
  assert.match(err.pop()!, /unknown command 'nope'/);
  assert.equal(await main(['observe', '--help'], io), 0);
  assert.match(out.pop()!, /--target URL/);
  assert.equal(await main(['list', '--db', '/nonexistent/x.db'], io), 1);
  assert.match(err.pop()!, /no traffic database at \/nonexistent\/x.db/);
});

test('a negative number after a flag that takes a value is its value; another dash value gets a line saying how to write it', () => {
  const r = parseCommandArgs(spec, ['x.har', '--port', '-5', '--tag', '-0.5']);
  assert.equal(r.flags.port, '-5');
  assert.deepEqual(r.flags.tag, ['-0.5']);
  assert.throws(() => parseCommandArgs(spec, ['x.har', '--port', '-x']), (e: Error) => e instanceof UsageError && /--port got a value that starts with '-': write it as --port=VALUE/.test(e.message));
  // After --, nothing is a flag.
  assert.deepEqual(parseCommandArgs({ ...spec, positionals: [{ name: 'a', required: false, description: 'a' }, { name: 'b', required: false, description: 'b' }, { name: 'c', required: false, description: 'c' }] }, ['x', '--', '--port', '-5']).positionals, ['x', '--port', '-5']);
});
