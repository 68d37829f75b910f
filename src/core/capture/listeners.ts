/**
 * Capture listeners: what `observe --protocol` and `.chaos/capture.yaml` describe. One listener is a protocol, the
 * address it listens on and the target it forwards to (a URL for http, HOST:PORT for a wire protocol).
 *
 * .chaos/capture.yaml:
 *   listeners:
 *     - { protocol: http, port: 8080, target: http://127.0.0.1:9000 }
 *     - { protocol: redis, port: 6380, target: 127.0.0.1:6379, name: cache }
 * Every listener records into the one database and the one capture session of the run.
 */
import * as fs from 'node:fs';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import { InputError, describeError } from '../errors';
import { parseHostPort, type HostPort } from '../faults/tcpProxy';
import { availableProtocols } from '../protocols/registry';
import { isWireProtocol } from '../protocols/wireRecord';
import type { WireProtocol } from '../protocols/types';

export interface ListenerSpec {
  /** Name in the fault API and in status lines; defaults to the protocol (then protocol-2, ...). */
  name: string;
  protocol: 'http' | WireProtocol;
  host: string;
  port: number;
  /** http: the backend URL; a wire protocol: HOST:PORT. */
  target: string;
  options?: Record<string, unknown>;
}

/** A wire listener's --target: HOST:PORT (an InputError naming `what` otherwise). */
export function wireTarget(target: string, what: string): HostPort {
  if (/^[a-z][\w+.-]*:\/\//i.test(target)) throw new InputError(`${what} '${target}' must be HOST:PORT for a wire protocol (no scheme), e.g. 127.0.0.1:6379`);
  return parseHostPort(target, what);
}

const SCHEMA = {
  type: 'object',
  required: ['listeners'],
  additionalProperties: false,
  properties: {
    listeners: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['protocol', 'port', 'target'],
        additionalProperties: false,
        properties: {
          protocol: { type: 'string' },
          port: { type: 'integer', minimum: 0, maximum: 65535 },
          target: { type: 'string', minLength: 1 },
          name: { type: 'string', pattern: '^[\\w.-]{1,64}$' },
          host: { type: 'string', minLength: 1 },
          options: { type: 'object' },
        },
      },
    },
  },
};

const validate = new Ajv({ allErrors: false }).compile(SCHEMA);

/** Reads and checks a capture.yaml; every problem is one InputError line naming the file and the entry. */
export function loadCaptureConfig(file: string, defaultHost = '127.0.0.1'): ListenerSpec[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${describeError(e)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new InputError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0].replace(/:\s*$/, '')}`);
  }
  if (!validate(doc)) {
    const err = validate.errors![0];
    const where = err.instancePath ? err.instancePath.replace(/^\/listeners\/(\d+)/, (_m, i: string) => `listener ${Number(i) + 1}`).replace(/\//g, '.') : 'the top level';
    const detail = err.keyword === 'additionalProperties' ? `unknown field '${(err.params as { additionalProperty: string }).additionalProperty}'` : err.message;
    throw new InputError(`${file}: ${where}: ${detail}; expected listeners: [{protocol, port, target, name?, host?, options?}]`);
  }
  const entries = (doc as { listeners: Array<Omit<ListenerSpec, 'name' | 'host'> & { name?: string; host?: string }> }).listeners;
  return resolveListeners(
    entries.map((e) => ({ ...e, host: e.host ?? defaultHost })),
    (i) => `${file}: listener ${i + 1}`,
  );
}

/**
 * Checks protocols and targets and gives every listener a unique name. `where(i)` names the entry in errors
 * (the file and entry for capture.yaml, the flag on the command line).
 */
export function resolveListeners(entries: Array<Omit<ListenerSpec, 'name'> & { name?: string }>, where: (i: number) => string): ListenerSpec[] {
  const names = new Set<string>();
  const ports = new Set<string>();
  return entries.map((e, i) => {
    const protocol = String(e.protocol);
    const available = availableProtocols();
    if (protocol !== 'http' && !isWireProtocol(protocol)) throw new InputError(`${where(i)}: unknown protocol '${protocol}'; use one of ${available.join(', ')}`);
    if (!available.includes(protocol)) throw new InputError(`${where(i)}: protocol ${protocol} is not available in this build; use one of ${available.join(', ')}`);
    if (protocol === 'http') {
      if (!/^https?:\/\/[^/\s]+/i.test(e.target)) throw new InputError(`${where(i)}: target '${e.target}' must be a URL like http://127.0.0.1:9000 for http`);
    } else {
      try {
        wireTarget(e.target, 'target');
      } catch (err) {
        throw new InputError(`${where(i)}: ${(err as Error).message}`);
      }
    }
    let name = e.name ?? protocol;
    if (!e.name) for (let n = 2; names.has(name); n++) name = `${protocol}-${n}`;
    if (names.has(name)) throw new InputError(`${where(i)}: name '${name}' is used by another listener; give each a unique name`);
    names.add(name);
    const address = `${e.host}:${e.port}`;
    if (e.port !== 0 && ports.has(address)) throw new InputError(`${where(i)}: ${address} is used by another listener`);
    ports.add(address);
    return { name, protocol: protocol as ListenerSpec['protocol'], host: e.host, port: e.port, target: e.target, options: e.options };
  });
}
