import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqlJsStatic } from 'sql.js';

let sqlPromise: Promise<SqlJsStatic> | undefined;

/** sql.js's wasm sits beside the bundle in dist/, or in node_modules when running from source. */
function wasmPath(): string {
  const bundled = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(bundled)) return bundled;
  // Computed so that esbuild leaves it alone: only the unbundled (test) build takes this path.
  const id = ['sql.js', 'dist', 'sql-wasm.wasm'].join('/');
  return require.resolve(id);
}

export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!sqlPromise) {
    const initSqlJs = require('sql.js') as (config?: { wasmBinary?: ArrayBuffer }) => Promise<SqlJsStatic>;
    const wasm = fs.readFileSync(wasmPath());
    sqlPromise = initSqlJs({ wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer });
  }
  return sqlPromise;
}
