/** The packaged extension (scripts/test-editor.mjs packages it first): the bundles only, no node_modules, small. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { vsixPath } from './harness';

/** Entry names of a zip file, read from its central directory. */
function zipEntries(file: string): string[] {
  const buf = fs.readFileSync(file);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, `${file} is not a zip file`);
  const names: string[] = [];
  let at = buf.readUInt32LE(end + 16);
  for (let i = buf.readUInt16LE(end + 10); i > 0; i--) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const nameLength = buf.readUInt16LE(at + 28);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return names;
}

test('the vsix holds the bundles, the manifest and the wasm, no node_modules, under 10 MB', () => {
  const vsix = vsixPath();
  assert.ok(fs.statSync(vsix).size < 10 * 1024 * 1024, `${vsix} is ${fs.statSync(vsix).size} bytes`);
  const names = zipEntries(vsix);
  for (const want of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/cli.js', 'extension/dist/storeWorker.js', 'extension/dist/sql-wasm.wasm', 'extension/dist/sql-wasm.js', 'extension/dist/webview/loadTest.js', 'extension/dist/webview/loadCompare.js', 'extension/dist/webview/loadTest.css']) {
    assert.ok(names.includes(want), `${want} missing from ${names.join(', ')}`);
  }
  assert.deepEqual(names.filter((n) => /node_modules|\.map$|(^|\/)(src|test)\//.test(n)), []);
});
