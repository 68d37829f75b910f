/** Decoders for the packets the parser reads: greeting, handshake response, OK, ERR, EOF, column and prepare replies. */
import { Capability } from './constants';
import { PayloadReader } from './reader';

const CLIENT_SESSION_TRACK = 0x800000;

export interface Greeting {
  protocolVersion: number;
  serverVersion: string;
  connectionId: number;
  capabilities: number;
}

export function readGreeting(payload: Buffer): Greeting {
  const r = new PayloadReader(payload);
  const protocolVersion = r.int(1);
  if (protocolVersion !== 10) throw new RangeError(`unsupported handshake protocol ${protocolVersion}`);
  const serverVersion = r.cstring();
  const connectionId = r.int(4);
  r.skip(9); // auth-plugin-data part 1 and a filler
  let capabilities = r.int(2);
  if (r.remaining >= 5) {
    r.skip(3); // character set, status flags
    capabilities |= r.int(2) << 16;
  }
  return { protocolVersion, serverVersion, connectionId, capabilities: capabilities >>> 0 };
}

export interface HandshakeResponse {
  capabilities: number;
  /** A short response asking for TLS (the rest of the connection is encrypted). */
  sslRequest: boolean;
  user: string;
  database: string | null;
  authPlugin: string | null;
}

/** The client's login packet. The auth response is skipped and never returned: it is derived from the password. */
export function readHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = new PayloadReader(payload);
  const low = r.int(2);
  if (!(low & Capability.PROTOCOL_41)) {
    r.skip(3); // max packet size
    const user = r.cstring();
    return { capabilities: low, sslRequest: false, user, database: null, authPlugin: null };
  }
  const capabilities = (low | (r.int(2) << 16)) >>> 0;
  r.skip(4 + 1 + 23); // max packet size, character set, reserved (MariaDB keeps its extended capabilities there)
  if (r.remaining === 0) return { capabilities, sslRequest: (capabilities & Capability.SSL) !== 0, user: '', database: null, authPlugin: null };
  const user = r.cstring();
  if (capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) r.lenencBytes();
  else if (capabilities & Capability.SECURE_CONNECTION) r.skip(r.int(1));
  else r.cstring();
  const database = capabilities & Capability.CONNECT_WITH_DB && r.remaining > 0 ? r.cstring() : null;
  const authPlugin = capabilities & Capability.PLUGIN_AUTH && r.remaining > 0 ? r.cstring() : null;
  return { capabilities, sslRequest: false, user, database: database || null, authPlugin };
}

export interface OkPacket {
  affectedRows: number;
  lastInsertId: number;
  statusFlags: number;
  warnings: number;
  info: string;
}

export function readOk(payload: Buffer, capabilities: number): OkPacket {
  const r = new PayloadReader(payload);
  r.skip(1);
  const affectedRows = r.lenenc() ?? 0;
  const lastInsertId = r.lenenc() ?? 0;
  let statusFlags = 0;
  let warnings = 0;
  if (capabilities & Capability.PROTOCOL_41) {
    statusFlags = r.int(2);
    warnings = r.int(2);
  }
  let info = '';
  if (r.remaining > 0) info = capabilities & CLIENT_SESSION_TRACK ? (r.lenencString() ?? '') : r.rest().toString('utf8');
  return { affectedRows, lastInsertId, statusFlags, warnings, info: info.slice(0, 200) };
}

export interface ErrPacket {
  code: number;
  sqlState: string | null;
  message: string;
}

export function readErr(payload: Buffer): ErrPacket {
  const r = new PayloadReader(payload);
  r.skip(1);
  const code = r.int(2);
  let sqlState: string | null = null;
  if (r.remaining >= 6 && payload[r.pos] === 0x23 /* '#' */) {
    r.skip(1);
    sqlState = r.bytes(5).toString('latin1');
  }
  return { code, sqlState, message: r.rest().toString('utf8').slice(0, 1000) };
}

/** MariaDB sends progress reports as ERR packets with code 0xFFFF; they are not the reply. */
export function isProgressReport(payload: Buffer): boolean {
  return payload.length >= 3 && payload[0] === 0xff && payload.readUInt16LE(1) === 0xffff;
}

export function readEofStatus(payload: Buffer): { warnings: number; statusFlags: number } {
  if (payload.length < 5) return { warnings: 0, statusFlags: 0 };
  return { warnings: payload.readUInt16LE(1), statusFlags: payload.readUInt16LE(3) };
}

export function readColumnDefinition(payload: Buffer): { name: string; type: number } {
  const r = new PayloadReader(payload);
  for (let i = 0; i < 4; i++) r.lenencBytes(); // catalog, schema, table, original table
  const name = r.lenencString() ?? '';
  r.lenencBytes(); // original name
  r.lenenc(); // length of the fixed fields
  r.skip(2 + 4); // character set, column length
  return { name, type: r.int(1) };
}

export interface PrepareOk {
  statementId: number;
  numColumns: number;
  numParams: number;
  warnings: number;
}

export function readPrepareOk(payload: Buffer): PrepareOk {
  const r = new PayloadReader(payload);
  r.skip(1);
  const statementId = r.int(4);
  const numColumns = r.int(2);
  const numParams = r.int(2);
  let warnings = 0;
  if (r.remaining >= 3) {
    r.skip(1);
    warnings = r.int(2);
  }
  return { statementId, numColumns, numParams, warnings };
}
