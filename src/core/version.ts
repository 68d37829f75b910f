// Replaced at bundle time by esbuild's `define`; the fallback serves tests run from source.
declare const __CHAOS_VERSION__: string | undefined;

export const VERSION: string =
  typeof __CHAOS_VERSION__ === 'string' ? __CHAOS_VERSION__ : (require('../../package.json') as { version: string }).version;
