/**
 * Decoding the message bodies the session needs. Bodies may be cut (frames.ts keeps at most MAX_KEPT_BODY bytes):
 * a read past the end throws ShortBody, and each decoder returns what it read before that.
 */
import { decodeParam, typeName, type ParamValue } from './values';

export class ShortBody extends Error {}

export class BodyReader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  get left(): number {
    return this.buf.length - this.offset;
  }
  byte(): number {
    if (this.left < 1) throw new ShortBody();
    return this.buf[this.offset++];
  }
  int16(): number {
    if (this.left < 2) throw new ShortBody();
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    if (this.left < 4) throw new ShortBody();
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uint32(): number {
    if (this.left < 4) throw new ShortBody();
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  /** A NUL-terminated string; a cut body yields what is there. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    const stop = end < 0 ? this.buf.length : end;
    const s = this.buf.toString('utf8', this.offset, stop);
    if (end < 0 && this.offset >= this.buf.length) throw new ShortBody();
    this.offset = end < 0 ? this.buf.length : end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    if (this.left < n) throw new ShortBody();
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
}

/** Runs `read`, keeping what it produced when the body turns out to be cut. */
function tolerant<T>(value: T, read: (r: BodyReader, into: T) => void, body: Buffer): T {
  try {
    read(new BodyReader(body), value);
  } catch (e) {
    if (!(e instanceof ShortBody)) throw e;
  }
  return value;
}

export const PROTOCOL_3 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

/** The parameters of a StartupMessage (after its protocol version): name/value pairs up to an empty name. */
export function startupParams(r: BodyReader): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < 64 && r.left > 1; i++) {
    const name = r.cstring();
    if (!name) break;
    params[name] = r.cstring();
  }
  return params;
}

export interface ParseMessage {
  name: string;
  sql: string;
  sqlBytes: number;
  paramTypes: number[];
}

export function decodeParse(body: Buffer, length: number): ParseMessage {
  const m = tolerant<ParseMessage>({ name: '', sql: '', sqlBytes: 0, paramTypes: [] }, (r, m) => {
    m.name = r.cstring();
    const start = r.offset;
    m.sql = r.cstring();
    m.sqlBytes = r.offset - start - 1;
    const count = r.int16();
    for (let i = 0; i < count; i++) m.paramTypes.push(r.uint32());
  }, body);
  // A cut body holds only the start of the SQL: its size is about the message's, less the other fields.
  if (body.length < length) m.sqlBytes = length - Buffer.byteLength(m.name) - 1 - 1 - 2;
  return m;
}

export interface BindMessage {
  portal: string;
  statement: string;
  params: ParamValue[];
  paramCount: number;
}

/** Bind: parameter values decoded (text as strings, common binary types as values, the rest as hex), sizes capped. */
export function decodeBind(body: Buffer, paramTypes: number[]): BindMessage {
  return tolerant<BindMessage>({ portal: '', statement: '', params: [], paramCount: 0 }, (r, m) => {
    m.portal = r.cstring();
    m.statement = r.cstring();
    const formats: number[] = [];
    const formatCount = r.int16();
    for (let i = 0; i < formatCount; i++) formats.push(r.int16());
    m.paramCount = r.int16();
    for (let i = 0; i < m.paramCount; i++) {
      const format = formats.length === 1 ? formats[0] : (formats[i] ?? 0);
      const size = r.int32();
      if (size < 0) {
        m.params.push(null);
        continue;
      }
      const raw = r.left < size ? r.bytes(r.left) : r.bytes(size);
      m.params.push(decodeParam(raw, size, format === 1, paramTypes[i] ?? 0));
      if (raw.length < size) throw new ShortBody();
    }
  }, body);
}

export interface Column {
  name: string;
  type: string;
}

const MAX_COLUMNS = 100;

export function decodeRowDescription(body: Buffer): Column[] {
  return tolerant<Column[]>([], (r, columns) => {
    const count = r.int16();
    for (let i = 0; i < Math.min(count, MAX_COLUMNS); i++) {
      const name = r.cstring();
      r.int32(); // table oid
      r.int16(); // column number
      const oid = r.uint32();
      r.int16(); // size
      r.int32(); // modifier
      r.int16(); // format
      columns.push({ name, type: typeName(oid) });
    }
  }, body);
}

export interface ServerError {
  severity: string;
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

/** ErrorResponse and NoticeResponse: typed fields up to a zero byte; V is the unlocalised severity. */
export function decodeErrorFields(body: Buffer): ServerError {
  const fields: Record<string, string> = {};
  tolerant(fields, (r, f) => {
    for (let i = 0; i < 32; i++) {
      const code = r.byte();
      if (code === 0) break;
      f[String.fromCharCode(code)] = r.cstring();
    }
  }, body);
  const e: ServerError = { severity: fields.V ?? fields.S ?? 'ERROR', code: fields.C ?? '', message: fields.M ?? '' };
  if (fields.D) e.detail = fields.D;
  if (fields.H) e.hint = fields.H;
  return e;
}

export function formatError(e: ServerError): string {
  return `${e.severity}${e.code ? ` ${e.code}` : ''}: ${e.message}`;
}

export interface CommandTag {
  tag: string;
  /** Rows a SELECT, FETCH, MOVE returned. */
  returned?: number;
  /** Rows an INSERT, UPDATE, DELETE, MERGE, COPY touched. */
  affected?: number;
}

const RETURNING_COMMANDS = new Set(['SELECT', 'FETCH', 'MOVE']);
const AFFECTING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY']);

/** CommandComplete's tag: `SELECT 3`, `INSERT 0 1` (oid, then count), `UPDATE 2`, `CREATE TABLE`. */
/** Tags decoded lately: most replies repeat one ('SELECT 1', 'UPDATE 1'), and a CommandTag is never changed. */
const recentTags = new Map<string, CommandTag>();

export function decodeCommandTag(body: Buffer): CommandTag {
  const tag = new BodyReader(body).cstring().slice(0, 200);
  let known = recentTags.get(tag);
  if (!known) {
    if (recentTags.size >= 256) recentTags.clear();
    recentTags.set(tag, (known = parseCommandTag(tag)));
  }
  return known;
}

function parseCommandTag(tag: string): CommandTag {
  const words = tag.split(' ');
  const count = Number(words[words.length - 1]);
  const result: CommandTag = { tag };
  if (words.length > 1 && Number.isInteger(count)) {
    if (RETURNING_COMMANDS.has(words[0])) result.returned = count;
    else if (AFFECTING_COMMANDS.has(words[0])) result.affected = count;
  }
  return result;
}
