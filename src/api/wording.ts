/**
 * The engines word their errors for the CLI ("pass --allow-remote"). A library user has no flags, so each API call
 * rewords the few phrases that name one into the option or method that does the same from code. The engine stays
 * one implementation; only the sentence differs. The CLI runs through the library too, and calls
 * {@link speakAsCli} first so its messages keep its flags (the CLI is its own bundle: a library user never gets
 * that). test/unit/api-wording.test.ts checks both faces.
 */
import { isChaosError } from './errors';

/** CLI phrase → what the library calls it. Longest phrases first where one contains another. */
export type Wording = ReadonlyArray<readonly [cli: string | RegExp, api: string]>;

let cliFace = false;

/** The process is the CLI: errors keep the engines' words (its flags). Called once by the CLI's main. */
export function speakAsCli(): void {
  cliFace = true;
}

function reword(e: unknown, wording: Wording): unknown {
  if (cliFace || !isChaosError(e)) return e;
  let message = e.message;
  for (const [cli, api] of wording) message = typeof cli === 'string' ? message.split(cli).join(api) : message.replace(cli, api);
  e.message = message;
  return e;
}

/** Runs `f`; a ChaosError it throws has its CLI phrases reworded. */
export function inApiWords<T>(wording: Wording, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw reword(e, wording);
  }
}

/** {@link inApiWords} for a promise. */
export async function inApiWordsAsync<T>(wording: Wording, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw reword(e, wording);
  }
}

/** Phrases of the load planner and generator. */
export const LOAD_WORDING: Wording = [
  ['pass --allow-remote to send load to another machine', 'call .withRemoteTarget() to send load to another machine (only a system you own)'],
  ['(--target URL, or target: in the spec file)', '(LoadTest.create(url), or target: in the spec file)'],
  ["capture some with 'chaos-testing observe', pass --input PATH, or use --mix target", 'capture some (Capture.start), give another to .withTraffic(path), or leave out .withTraffic() to load the target URL alone'],
  ['or load the target URL alone (--mix target)', 'or load the target URL alone (leave out .withTraffic())'],
  ['write --read-write 0.8:0.2', 'call .withReadWriteRatio(8, 2)'],
  ['or drop --read-write', 'or leave out .withReadWriteRatio()'],
  ['(--connections) or a rate above 0 with at least 1 connection (--rate)', '(.withConnections(n)) or a rate above 0 with at least 1 connection (.withRate(rps))'],
];

/** Phrases of the properties engine and the invariants' option readers. */
export const INVARIANT_WORDING: Wording = [
  [/--invariant ([\w.-]+)=(\S*): the value must be/, 'StateInvariant $1 bound $2: it must be'],
  [/--invariant ([\w.-]+)/, 'StateInvariant $1'],
  [/--path '([^']*)' is not (a|an invariant's) replay path/, "verify({ path: '$1' }) is not $2 replay path"],
  ["capture some first with 'chaos-testing observe', or pass --input PATH", 'capture some first (Capture.start), or give its path as the `traffic` option'],
  ['--runs 0', 'runs: 0'],
];

/** Phrases of the test generator. */
export const GENERATE_WORDING: Wording = [
  [/^generate needs --language/, 'generateTests needs `language`'],
  [/--framework (\S+) is not one of/, "framework '$1' is not one of"],
  [/--language (\S+) is not available/, "language '$1' is not available"],
  ["capture some first with 'chaos-testing observe', or pass --input PATH", 'capture some first (Capture.start), or give its path as the `traffic` option'],
];

/** Phrases of the compliance engine's workspace reader. */
export const AUDIT_WORDING: Wording = [
  [/^no workspace folder at (.*): pass --workspace DIR \(/, 'no workspace folder at $1: give `workspace` a folder ('],
  [/^--workspace (.*) is not a folder: pass the project's root folder/, "the workspace $1 is not a folder: give the project's root folder"],
];

/** Phrases of the capture proxies, the TLS listener and the listener specs. */
export const CAPTURE_WORDING: Wording = [
  [/^--target '/, "Capture.start target '"],
  [/^observe --protocol ([\w-]+)/, "Capture.start({ protocol: '$1' })"],
  [/^--tls-cert (\S+) \/ --tls-key (\S+):/, 'tls { cert: $1, key: $2 }:'],
  [/^--tls-cert /, 'tls.cert '],
  [/^--tls-key /, 'tls.key '],
  [/^--intercept (.*): not a host glob/, 'Capture.start intercept [$1]: not a host glob'],
  [/^--ca (\S+):/, 'Capture.start caFile $1:'],
  [/^--host (\S+) is not an address/, 'Capture.start host $1 is not an address'],
  ['choose another --port', 'choose another port (0 picks a free one)'],
  ['with --port', 'with the `port` option'],
];
