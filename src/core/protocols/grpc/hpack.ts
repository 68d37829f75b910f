/**
 * One HPACK decoder per direction of an HTTP/2 connection, on hpack.js's decoder and table. It must see every header
 * block of its direction in order, since each may add to the dynamic table the next ones refer to: a block it cannot
 * decode leaves the table unknown, and the caller stops parsing that connection.
 */
// hpack.js ships no types: the few members used here.
interface HpackDecoder {
  push(chunk: Buffer): void;
  isEmpty(): boolean;
  decodeBit(): number;
  decodeInt(): number;
  decodeStr(): number[];
}
interface HpackEntry {
  name: string;
  value: string;
  nameSize: number;
}
interface HpackTable {
  maxSize: number;
  lookup(index: number): HpackEntry;
  add(name: string, value: string, nameSize: number, valueSize: number): void;
  updateSize(size: number): void;
}
const hpack = require('hpack.js') as {
  decoder: { create(): HpackDecoder };
  table: { create(options: { maxSize: number }): HpackTable };
  utils: { stringify(bytes: number[]): string };
};

/** HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE; an encoder may announce a new size up to our bound. */
const INITIAL_TABLE_SIZE = 4096;
const MAX_TABLE_SIZE = 256 * 1024;

/** hpack.js keeps strings one char per byte. */
function utf8(binary: string): string {
  return Buffer.from(binary, 'latin1').toString('utf8');
}

export type HeaderList = [name: string, value: string][];

export class HeaderBlockDecoder {
  private readonly table: HpackTable;

  constructor() {
    this.table = hpack.table.create({ maxSize: MAX_TABLE_SIZE });
    this.table.maxSize = INITIAL_TABLE_SIZE;
  }

  /** Decodes one complete header block (HEADERS or PUSH_PROMISE plus its CONTINUATIONs); throws on a bad one. */
  decode(block: Buffer): HeaderList {
    const d = hpack.decoder.create();
    d.push(block);
    const out: HeaderList = [];
    while (!d.isEmpty()) {
      if (d.decodeBit()) {
        const entry = this.table.lookup(d.decodeInt());
        out.push([entry.name, utf8(entry.value)]);
        continue;
      }
      const incremental = d.decodeBit();
      if (!incremental) {
        if (d.decodeBit()) {
          this.table.updateSize(d.decodeInt());
          continue;
        }
        d.decodeBit(); // never-indexed
      }
      const index = d.decodeInt();
      let name: string;
      let nameSize: number;
      if (index === 0) {
        const raw = d.decodeStr();
        nameSize = raw.length;
        name = hpack.utils.stringify(raw);
      } else {
        const entry = this.table.lookup(index);
        if (!entry) throw new Error('hpack: index past the table');
        name = entry.name;
        nameSize = entry.nameSize;
      }
      const rawValue = d.decodeStr();
      const value = hpack.utils.stringify(rawValue);
      if (incremental) this.table.add(name, value, nameSize, rawValue.length);
      out.push([name, utf8(value)]);
    }
    return out;
  }
}
