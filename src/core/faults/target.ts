import type { Toxic } from './toxics';

/**
 * What the fault API (api.ts) serves: a proxy with a live toxic list that can be taken down and brought back.
 * TcpProxy is one; HttpFaultTarget (the capture proxy) is another.
 */
export interface FaultTarget {
  readonly name: string;
  /** false = `down`: new connections refused (or cut at once) and live ones cut. */
  readonly enabled: boolean;
  readonly toxics: Toxic[];
  /** For the API's JSON: where the proxy listens and where it sends traffic. */
  addresses(): { listen: string; upstream: string };
  /** Validates and adds a toxic; a bad or duplicate one is an InputError. */
  addToxic(input: unknown): Toxic;
  /**
   * Changes a toxic's attributes, toxicity or match in place (Toxiproxy's update); undefined when there is no toxic
   * of that name, an InputError for a bad update. Live connections take the new attributes (TCP proxy).
   */
  updateToxic(name: string, input: unknown): Toxic | undefined;
  removeToxic(name: string): boolean;
  removeAllToxics(): void;
  setEnabled(enabled: boolean): Promise<void>;
}

/** A target as the API shows it (Toxiproxy's shape). */
export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: Toxic[];
}

export function proxyJson(p: FaultTarget): ProxyJson {
  const { listen, upstream } = p.addresses();
  return { name: p.name, listen, upstream, enabled: p.enabled, toxics: p.toxics };
}
