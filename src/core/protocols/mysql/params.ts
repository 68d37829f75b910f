/**
 * The parameters of a COM_STMT_EXECUTE, decoded from the binary protocol: numbers as numbers (8-byte ones as text
 * when not exact), strings as text (long ones cut to their size), dates and times as text, other bytes by size.
 */
import { ColumnType } from './constants';
import { PayloadReader } from './reader';

export type ParamValue = number | string | null;

const MAX_TEXT = 256;
const UNSIGNED = 0x8000;

/** `<1,204 bytes>`: how a value too long to keep is shown. */
export function sizeLabel(bytes: number): string {
  return `<${bytes.toLocaleString('en-US')} bytes>`;
}

/**
 * Reads the values after the statement id, flags and iteration count. `types` are the ones bound by an earlier
 * execute of the same statement (a client sends them only when they change); returns the types in effect.
 */
export function readExecuteParams(r: PayloadReader, count: number, previousTypes: number[] | undefined): { values: ParamValue[]; types: number[] } {
  const nullBitmap = r.bytes((count + 7) >> 3);
  const bound = r.int(1) === 1;
  let types = previousTypes ?? [];
  if (bound) {
    types = [];
    for (let i = 0; i < count; i++) types.push(r.int(2));
  }
  if (types.length !== count) throw new RangeError('parameter types unknown');
  const values: ParamValue[] = [];
  for (let i = 0; i < count; i++) {
    const isNull = (nullBitmap[i >> 3] >> (i & 7)) & 1;
    values.push(isNull ? null : readValue(r, types[i]));
  }
  return { values, types };
}

function readValue(r: PayloadReader, typeAndFlag: number): ParamValue {
  const type = typeAndFlag & 0xff;
  const unsigned = (typeAndFlag & UNSIGNED) !== 0;
  switch (type) {
    case ColumnType.NULL:
      return null;
    case ColumnType.TINY: {
      const v = r.int(1);
      return unsigned || v < 0x80 ? v : v - 0x100;
    }
    case ColumnType.SHORT:
    case ColumnType.YEAR: {
      const v = r.int(2);
      return unsigned || v < 0x8000 ? v : v - 0x10000;
    }
    case ColumnType.LONG:
    case ColumnType.INT24: {
      const v = r.int(4);
      return unsigned ? v : v | 0;
    }
    case ColumnType.LONGLONG:
      return r.int8(!unsigned);
    case ColumnType.FLOAT:
      return r.bytes(4).readFloatLE(0);
    case ColumnType.DOUBLE:
      return r.bytes(8).readDoubleLE(0);
    case ColumnType.DATE:
    case ColumnType.DATETIME:
    case ColumnType.TIMESTAMP:
      return readDateTime(r, type === ColumnType.DATE);
    case ColumnType.TIME:
      return readTime(r);
    default:
      return readText(r.lenencBytes(), type);
  }
}

function readText(bytes: Buffer | null, type: number): ParamValue {
  if (bytes === null) return null;
  if (bytes.length > MAX_TEXT) return sizeLabel(bytes.length);
  const isBlob = type >= ColumnType.TINY_BLOB && type <= ColumnType.BLOB || type === ColumnType.GEOMETRY || type === ColumnType.BIT;
  const text = bytes.toString('utf8');
  // Binary data that is not text is shown by its size, not as replacement characters.
  if (isBlob && (text.includes('\ufffd') || /[\x00-\x08\x0e-\x1f]/.test(text))) return sizeLabel(bytes.length);
  return text;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function readDateTime(r: PayloadReader, dateOnly: boolean): string {
  const length = r.int(1);
  const b = new PayloadReader(r.bytes(length));
  if (length === 0) return dateOnly ? '0000-00-00' : '0000-00-00 00:00:00';
  const date = `${pad(b.int(2), 4)}-${pad(b.int(1))}-${pad(b.int(1))}`;
  if (dateOnly || length < 7) return date;
  const time = `${pad(b.int(1))}:${pad(b.int(1))}:${pad(b.int(1))}`;
  const micros = length >= 11 ? b.int(4) : 0;
  return `${date} ${time}${micros ? `.${pad(micros, 6)}` : ''}`;
}

function readTime(r: PayloadReader): string {
  const length = r.int(1);
  const b = new PayloadReader(r.bytes(length));
  if (length === 0) return '00:00:00';
  const negative = b.int(1) === 1;
  const hours = b.int(4) * 24 + b.int(1);
  const time = `${negative ? '-' : ''}${pad(hours)}:${pad(b.int(1))}:${pad(b.int(1))}`;
  const micros = length >= 12 ? b.int(4) : 0;
  return `${time}${micros ? `.${pad(micros, 6)}` : ''}`;
}
