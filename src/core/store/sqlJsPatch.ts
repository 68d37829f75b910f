/**
 * Two hooks added to sql.js's script as it is loaded (sqlite.ts), into its Emscripten in-memory file system (MEMFS),
 * which holds each database as one file and which sql.js keeps private:
 *
 * - `memfsFile(name)`: the bytes of a database's file, a view without a copy. Between transactions (journal kept in
 *   memory) that file is a whole SQLite database, so a snapshot is written straight from it, where
 *   Database.export() first copies the whole database (a second ~90 MB at 200k exchanges).
 * - `memfsGrow(used, capacity)`: called where MEMFS grows a file. MEMFS copies the file into a new array 12.5%
 *   larger each time, and the old array lives on until a full GC: near 90 MB, ~170 MB at once. growInPlace grows a
 *   resizable ArrayBuffer where it is instead.
 *
 * The places are found by the shape of the minified code (Database.export looks a file's node up and writes its
 * contents; MEMFS's write grows them). A build of sql.js where they do not match is loaded unchanged, and the store
 * falls back to export() and MEMFS's own growth (test/unit/sqljs-patch.test.ts says so for the pinned version).
 */
export function patchSqlJs(source: string): string | null {
  // Database.export(): `var r=B(f).node, …; r.Ua.set(D.subarray(K,K+V),U); r.Wa=Math.max(r.Wa,U+V)`: B looks a path
  // up, Ua are a node's contents and Wa its used bytes.
  const exp = /var (\w+)=(\w+)\(\w+\)\.node,[^;]*;[^]{0,200}?\1\.(\w+)\.set\(\w+\.subarray\([\w,+]+\),\w+\);\1\.(\w+)=Math\.max\(\1\.\4,/.exec(source);
  const modules = [...source.matchAll(/(\w+)\.Database=\w+\}/g)];
  if (!exp || modules.length !== 1) return null;
  const [, , lookup, contents, used] = exp;
  const module = modules[0][1];
  // MEMFS write: `m=a.Ua.subarray(0,a.Wa),a.Ua=new Uint8Array(g),a.Ua.set(m)`.
  const growAt = new RegExp(`(\\w+)=(\\w+)\\.${contents}\\.subarray\\(0,\\2\\.${used}\\),\\2\\.${contents}=new Uint8Array\\((\\w+)\\),\\2\\.${contents}\\.set\\(\\1\\)`, 'g');
  const grows = [...source.matchAll(growAt)];
  if (grows.length !== 1) return null;
  const [growMatch, old, node, capacity] = grows[0];
  const grow = `${old}=${node}.${contents}.subarray(0,${node}.${used}),${node}.${contents}=${module}.memfsGrow?${module}.memfsGrow(${old},${capacity}):`
    + `(${node}.${contents}=new Uint8Array(${capacity}),${node}.${contents}.set(${old}),${node}.${contents})`;
  const file = `;${module}.memfsFile=function(n){var x=${lookup}("/"+n).node;return x.${contents}?x.${contents}.subarray(0,x.${used}):null}`;
  const fileAt = modules[0].index! + modules[0][0].length - 1;
  const growStart = grows[0].index!;
  // Edited from the end of the script, so that the other place's index stays valid.
  const edits = [
    { at: growStart, end: growStart + growMatch.length, text: grow },
    { at: fileAt, end: fileAt, text: file },
  ].sort((a, b) => b.at - a.at);
  let out = source;
  for (const e of edits) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

/** Address space reserved per resizable file: pages are committed only as they are written. */
const MAX_FILE_BYTES = 2 ** 32;

type Resizable = ArrayBuffer & { resizable?: boolean; maxByteLength: number; resize(bytes: number): void };

/**
 * MEMFS's file growth without a copy: the file's bytes live in a resizable ArrayBuffer, grown where it is. The
 * first growth (or one past the reservation) moves the bytes once.
 */
export function growInPlace(used: Uint8Array, capacity: number): Uint8Array {
  const buffer = used.buffer as Resizable;
  if (buffer.resizable && used.byteOffset === 0 && capacity <= buffer.maxByteLength) {
    buffer.resize(capacity);
    return new Uint8Array(buffer);
  }
  let fresh: Resizable;
  try {
    fresh = new (ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => Resizable)(capacity, { maxByteLength: Math.max(MAX_FILE_BYTES, capacity) });
  } catch {
    // No room to reserve (a capped address space): grow as MEMFS does.
    const copy = new Uint8Array(capacity);
    copy.set(used);
    return copy;
  }
  // Length-tracking (no length given): MEMFS reads a file's capacity from `contents.length`.
  const view = new Uint8Array(fresh);
  view.set(used);
  return view;
}

/** Whether this JavaScript engine has resizable ArrayBuffers (Node ≥ 20). */
export function canGrowInPlace(): boolean {
  return typeof (ArrayBuffer.prototype as Partial<Resizable>).resize === 'function';
}
