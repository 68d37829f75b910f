import type { HeaderPairs } from '../capture/types';
import type { JsonSchema } from './jsonSchema';

/**
 * The behaviour model: what the backend was seen to do, in a form the generators, OpenAPI export, chaos replay and
 * property runs read. Plain JSON (it is printed by `chaos-testing learn --json` and stored with runs).
 */

export interface LatencyStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface ResponseModel {
  status: number;
  count: number;
  /** Media type without parameters (application/json), the most common one. */
  contentType: string | null;
  schema?: JsonSchema;
}

export interface EndpointModel {
  /** "GET /api/users/{userId}" */
  key: string;
  method: string;
  template: string;
  params: string[];
  hosts: string[];
  queryParams: string[];
  count: number;
  statuses: Record<string, number>;
  latency: LatencyStats;
  requestContentType: string | null;
  requestSchema?: JsonSchema;
  responses: ResponseModel[];
  /** Database and cache calls its requests made (linked by timing, see store/link.ts); absent when none. */
  calls?: EndpointCall[];
}

/** A database or cache call an endpoint makes, templated: `SELECT … FROM users WHERE id = $1`, `GET user:{id}`. */
export interface EndpointCall {
  protocol: string;
  /** The database's host:port. */
  host: string | null;
  /** QUERY, EXECUTE, COM_QUERY, GET… */
  method: string;
  statement: string;
  /** Calls seen, and how many of the endpoint's requests made one. */
  count: number;
  requests: number;
}

/** A value sent in a request: as recorded, from a variable captured earlier, or from an environment variable. */
export type ValueSource = { literal: string } | { variable: string } | { env: string };

/** A string made of parts (a path with variables, a header such as `Bearer ${token}`). */
export type TemplateString = Array<string | { variable: string } | { env: string }>;

/** JSON with leaves replaced by variables or environment variables: `{ "$var": "userId" }`, `{ "$env": "CHAOS_SECRET_PASSWORD" }`. */
export type JsonTemplate = unknown;

export interface ValueCheck {
  /** JSON pointer into the response body: /name, /address/city */
  pointer: string;
  value: string | number | boolean | null;
}

export interface NoiseField {
  pointer: string;
  why: string;
}

export interface Capture {
  variable: string;
  /** Where in the response: a JSON pointer, or `header:location` */
  from: string;
}

export interface Step {
  /** snake_case action: get_user_by_id, create_user, login */
  name: string;
  exchangeId: number;
  endpoint: string;
  method: string;
  path: TemplateString;
  query: Array<[string, TemplateString]>;
  /** The query as recorded (still encoded, from its `?`), chained values and secrets as parts; absent when none. */
  search?: TemplateString;
  headers: Array<[string, TemplateString]>;
  /** A JSON body, or the text as recorded; `encoding: 'base64'` when the text is base64 of binary bytes. */
  body: { json: JsonTemplate } | { text: string; encoding?: 'base64' } | null;
  expect: {
    status: number;
    contentType: string | null;
    schema?: JsonSchema;
    values: ValueCheck[];
    noise: NoiseField[];
    /** The recorded response had no body (HEAD, 204, or an empty 200): nothing to decode, whatever its type. */
    empty?: boolean;
    /** The whole body expected, for a small text response (not JSON) that holds nothing volatile. */
    text?: string;
  };
  captures: Capture[];
  /** Added to undo what the scenario created (the API has a DELETE for it); failures there do not fail the test. */
  cleanup?: boolean;
}

export interface Scenario {
  /** test name without the language's prefix: get_user_by_id_returns_200 */
  name: string;
  kind: 'single' | 'flow';
  steps: Step[];
  /** How many captured exchanges this scenario stands for (equivalent ones were deduplicated). */
  samples: number;
}

export interface EnvVar {
  name: string;
  /** What it stands for, e.g. "the password field of POST /api/login (redacted at capture)". */
  description: string;
}

/** A chained value a request sent: where, the recorded value, and which earlier response (and where in it) produced it. */
export interface ChainUse {
  /** `path:2` (segment index), `query:NAME`, `body:/json/pointer` or `header:authorization` (the value after the scheme). */
  where: string;
  value: string;
  origin: { exchangeId: number; from: string };
}

/** What learn knows about one captured exchange, for engines that go through every exchange, not the deduplicated scenarios. */
export interface ExchangeFacts {
  exchangeId: number;
  /** "GET /api/users/{userId}" */
  endpoint: string;
  uses: ChainUse[];
  /** Where in this response (`/id`, `header:location`) values come from that later requests reuse. */
  produces: string[];
  /** Response JSON pointers not to compare, and why (the whole text body: `(text body)`). */
  noise: NoiseField[];
  /** The response is a small text body with nothing volatile in it: a replay compares it whole. */
  compareText?: boolean;
}

export interface BehaviourModel {
  version: 1;
  source: { database: string | null; exchanges: number; used: number; skipped: Record<string, number> };
  baseUrl: string | null;
  endpoints: EndpointModel[];
  scenarios: Scenario[];
  env: EnvVar[];
  /** Response headers that differ between equivalent exchanges or are volatile by nature (never asserted). */
  noiseHeaders: string[];
}

export type { HeaderPairs, JsonSchema };
