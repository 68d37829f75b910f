/**
 * The wire protocols this build can capture: a name → a lazy import of src/core/protocols/<name>/index.ts, whose
 * `definition` the capture proxy runs. Adding a parser is one line in PARSERS.
 */
import { InputError } from '../errors';
import { WIRE_PROTOCOLS, type WireProtocol, type WireProtocolDefinition } from './types';
import { isWireProtocol } from './wireRecord';

type Loader = () => Promise<{ definition: WireProtocolDefinition }>;

const PARSERS: Partial<Record<WireProtocol, Loader>> = {
  postgres: () => import('./postgres/index'),
  mysql: () => import('./mysql/index'),
  kafka: () => import('./kafka/index'),
  grpc: () => import('./grpc/index'),
  redis: () => import('./redis/index'),
};

/** The protocols `observe --protocol` accepts: http and every wire protocol with a parser in this build. */
export function availableProtocols(): string[] {
  return ['http', ...WIRE_PROTOCOLS.filter((p) => PARSERS[p])];
}

/** Loads a protocol's definition; an unknown or absent one is an InputError naming what is available. */
export async function loadProtocol(name: string): Promise<WireProtocolDefinition> {
  const choices = availableProtocols().join(', ');
  if (!isWireProtocol(name)) throw new InputError(`unknown protocol '${name}'; use one of ${choices}`);
  const load = PARSERS[name];
  if (!load) throw new InputError(`protocol ${name} is not available in this build; use one of ${choices}`);
  return (await load()).definition;
}
