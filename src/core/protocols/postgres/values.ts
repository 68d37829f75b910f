/** Type names for common OIDs, parameter values, and cutting long text to a size label. */
import { hideSqlPasswords } from '../sqlPasswords';

export type ParamValue = string | number | boolean | null;

/** Parameters longer than this are recorded as their size only. */
export const MAX_PARAM_BYTES = 1024;
/** SQL longer than this is cut, its size appended. */
export const MAX_STATEMENT_CHARS = 2048;

const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 17: 'bytea', 18: 'char', 19: 'name', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 26: 'oid',
  114: 'json', 700: 'float4', 701: 'float8', 1042: 'bpchar', 1043: 'varchar', 1082: 'date', 1083: 'time',
  1114: 'timestamp', 1184: 'timestamptz', 1186: 'interval', 1700: 'numeric', 2950: 'uuid', 3802: 'jsonb',
  1000: 'bool[]', 1005: 'int2[]', 1007: 'int4[]', 1016: 'int8[]', 1009: 'text[]', 1015: 'varchar[]', 2951: 'uuid[]',
};

/** A readable type name, or the OID as text for the rest (0: unspecified, the server infers it). */
export function typeName(oid: number): string {
  return TYPE_NAMES[oid] ?? String(oid);
}

export function sizeLabel(bytes: number): string {
  return `<${bytes.toLocaleString('en-US')} bytes>`;
}

/** SQL for `statement`: passwords in it hidden (CREATE ROLE … PASSWORD 'x'); whole when short, else its start and its size. */
export function cutStatement(sql: string, bytes: number): string {
  // Hidden before the cut, so a literal the cut would split is still found whole.
  const text = /password/i.test(sql) ? hideSqlPasswords(sql) : sql;
  if (text.length <= MAX_STATEMENT_CHARS && Buffer.byteLength(sql) === bytes) return text;
  return `${text.slice(0, MAX_STATEMENT_CHARS)}… ${sizeLabel(bytes)}`;
}

const TEXT_TYPES = new Set([18, 19, 25, 114, 1042, 1043]);

/**
 * One bound parameter: text format as a string; binary format decoded for common types (int2/4/8, bool, float4/8,
 * text-like, uuid), else as \x hex. `raw` may be cut short of `size`; values over MAX_PARAM_BYTES become their size.
 */
export function decodeParam(raw: Buffer, size: number, binary: boolean, oid: number): ParamValue {
  if (size > MAX_PARAM_BYTES || raw.length < size) return sizeLabel(size);
  if (!binary) return raw.toString('utf8');
  switch (oid) {
    case 16:
      if (size === 1) return raw[0] !== 0;
      break;
    case 21:
      if (size === 2) return raw.readInt16BE(0);
      break;
    case 23:
      if (size === 4) return raw.readInt32BE(0);
      break;
    case 20:
      if (size === 8) {
        const v = raw.readBigInt64BE(0);
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
      }
      break;
    case 700:
      if (size === 4) return raw.readFloatBE(0);
      break;
    case 701:
      if (size === 8) return raw.readDoubleBE(0);
      break;
    case 2950:
      if (size === 16) {
        const h = raw.toString('hex');
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      }
      break;
    case 3802:
      if (size >= 1 && raw[0] === 1) return raw.toString('utf8', 1);
      break;
    default:
      if (TEXT_TYPES.has(oid)) return raw.toString('utf8');
  }
  return `\\x${raw.toString('hex')}`;
}
