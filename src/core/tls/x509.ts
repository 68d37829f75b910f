/**
 * @peculiar/x509, loaded with what it needs: its dependency tsyringe insists on the Reflect metadata API
 * (normally the reflect-metadata package, which we do not ship). Nothing we use injects constructor parameters,
 * so a small per-target store is enough; a real polyfill, if one is loaded first, is left alone.
 */
import * as crypto from 'node:crypto';

type MetadataReflect = typeof Reflect & {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
};

function installReflectMetadata(): void {
  const r = Reflect as MetadataReflect;
  if (r.getMetadata) return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  r.defineMetadata = (key, value, target) => {
    let m = store.get(target);
    if (!m) store.set(target, (m = new Map()));
    m.set(key, value);
  };
  r.getOwnMetadata = (key, target) => store.get(target)?.get(key);
  r.getMetadata = (key, target) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const m = store.get(t);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
}

installReflectMetadata();
const x509 = require('@peculiar/x509') as typeof import('@peculiar/x509');
x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export { x509 };
