import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type { SqlJsStatic } from 'sql.js';
import { canGrowInPlace, growInPlace, patchSqlJs } from './sqlJsPatch';

/** sql.js, plus the hooks loadSqlJs adds to it (see sqlJsPatch.ts); absent where sql.js did not take them. */
export type SqlJs = SqlJsStatic & {
  memfsFile?: (name: string) => Uint8Array | null;
  memfsGrow?: (used: Uint8Array, capacity: number) => Uint8Array;
};

let sqlPromise: Promise<SqlJs> | undefined;

/** A file of sql.js's dist/ beside the bundle (scripts/build.mjs copies them), or in node_modules when running from source. */
function sqlJsFile(name: string): string {
  const bundled = path.join(__dirname, name);
  if (fs.existsSync(bundled)) return bundled;
  // Computed so that esbuild leaves it alone: only the unbundled (test) build takes this path.
  const id = ['sql.js', 'dist', name].join('/');
  return require.resolve(id);
}

function requireSqlJs(): (config?: { wasmBinary?: ArrayBuffer }) => Promise<SqlJs> {
  const file = sqlJsFile('sql-wasm.js');
  const source = fs.readFileSync(file, 'utf8');
  const patched = patchSqlJs(source) ?? source;
  const module = { exports: {} as unknown };
  vm.compileFunction(patched, ['module', 'exports', 'require', '__filename', '__dirname'], { filename: file })(module, module.exports, require, file, path.dirname(file));
  return module.exports as (config?: { wasmBinary?: ArrayBuffer }) => Promise<SqlJs>;
}

export function loadSqlJs(): Promise<SqlJs> {
  if (!sqlPromise) {
    const initSqlJs = requireSqlJs();
    const wasm = fs.readFileSync(sqlJsFile('sql-wasm.wasm'));
    sqlPromise = initSqlJs({ wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer }).then((sql) => {
      if (sql.memfsFile && canGrowInPlace()) sql.memfsGrow = growInPlace;
      return sql;
    });
  }
  return sqlPromise;
}
