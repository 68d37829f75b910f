import { callLine } from '../learn/calls';
import type { BehaviourModel, EndpointCall, Scenario, Step, TemplateString } from '../learn/model';
import { compact, jsonRefs, type Dialect } from './dialect';

/** One request of a test, with every piece already spelled in the target language. */
export interface StepView {
  /** "POST /api/users → 201", safe inside the language's comments and docstrings */
  title: string;
  method: string;
  /** One of the methods HTTP clients have a function for (requests.get …); any other goes by name (methodQuoted). */
  standardMethod: boolean;
  /** The standard method in lower case (get, post); empty for any other. */
  methodLower: string;
  methodQuoted: string;
  /** The scenario's first request (declares what later ones reuse). */
  first: boolean;
  url: string;
  /**
   * The recorded path and query hold what common HTTP clients re-quote (a '%' alone, an escaped unreserved
   * character, a raw '"'): Python's requests would send another URL, so its test sends this one by http.client.
   */
  asRecorded: boolean;
  headers: Array<{ name: string; value: string }>;
  hasHeaders: boolean;
  /** The JSON body expression, or a text body literal. */
  json: string | null;
  text: string | null;
  /** A binary body: an expression of its bytes. */
  bytes: string | null;
  status: number;
  contentType: string | null;
  isJson: boolean;
  /** The whole text body expected (a literal), for a text response whose body was stable; else null. */
  bodyText: string | null;
  schema: string | null;
  values: Array<{ pointer: string; expected: string; comment: string }>;
  noise: string[];
  /** Comment lines naming the database and cache calls the endpoint makes (none when nothing was linked). */
  calls: string[];
  captures: Array<{ variable: string; pointer: string | null; header: string | null }>;
  /** Variables the request needs (a cleanup runs only when they were captured). */
  needs: string[];
  cleanup: boolean;
}

export interface ScenarioView {
  name: string;
  /** The scenario's own snake_case name (get_user_by_id_returns_200), for display names; unique like `name`. */
  key: string;
  title: string;
  kind: 'single' | 'flow';
  samples: number;
  steps: StepView[];
  cleanup: StepView[];
  /** Variables captured along the way, declared up front so a cleanup can see them. */
  variables: string[];
  hasCleanup: boolean;
}

export interface SuiteView {
  version: string;
  /** The database, for the header comment. */
  source: string;
  /** The database as a string literal (the TypeScript suite's describe name). */
  sourceLiteral: string;
  generatedFrom: string;
  baseUrl: string;
  env: Array<{ name: string; description: string }>;
  scenarios: ScenarioView[];
  endpoints: number;
  /** Some step's URL must be sent as recorded (StepView.asRecorded). */
  sendsAsRecorded: boolean;
}

function variablesIn(t: TemplateString): string[] {
  return t.flatMap((p) => (typeof p === 'object' && 'variable' in p ? [p.variable] : []));
}

/** The query as recorded; rebuilt from the decoded pairs only for models learned before `search` was kept. */
function queryString(st: Step): TemplateString {
  if (st.search) return st.search;
  const query = st.query;
  const out: TemplateString = [];
  query.forEach(([name, value], i) => {
    out.push(`${i === 0 ? '?' : '&'}${encodeURIComponent(name)}=`);
    for (const p of value) out.push(typeof p === 'string' ? encodeURIComponent(p) : p);
  });
  return out;
}

function callComments(d: Dialect, calls: EndpointCall[] | undefined): string[] {
  if (!calls?.length) return [];
  return [d.comment('database and cache calls this endpoint made when captured:'), ...calls.map((c) => d.comment(`  ${callLine(c)}`))];
}

/**
 * Whether a client that normalises URLs would send other bytes than these: requests (requote_uri, then urllib3)
 * turns a '%' not followed by two hex digits into '%25', decodes escapes of unreserved characters ('%7E' → '~'),
 * upper-cases escapes and percent-encodes ASCII outside RFC 3986's path and query characters. Non-ASCII text is left
 * to the client (it must be encoded for the request line anyway).
 */
export function clientsRequote(target: string): boolean {
  for (let i = 0; i < target.length; i++) {
    const c = target[i];
    if (c === '%') {
      const hex = target.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return true;
      if (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(parseInt(hex, 16)))) return true;
      i += 2;
    } else if (c < '\u0080' && !/[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/.test(c)) return true;
  }
  return false;
}

const literalText = (t: TemplateString): string => t.filter((p): p is string => typeof p === 'string').join('');

const STANDARD_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

function stepView(d: Dialect, st: Step, calls?: EndpointCall[]): StepView {
  const url = compact([{ variable: 'BASE_URL' }, ...st.path, ...queryString(st)]);
  // HEAD, or a recorded empty body: a JSON content type, but nothing to parse.
  const isJson = /json/.test(st.expect.contentType ?? '') && st.method !== 'HEAD' && !st.expect.empty;
  const needs = new Set<string>([...variablesIn(st.path), ...st.headers.flatMap(([, v]) => variablesIn(v))]);
  if (st.body && 'json' in st.body) for (const v of jsonRefs(st.body.json).vars) needs.add(v);
  needs.delete('BASE_URL');
  // A JSON body's content-type is written by the template itself.
  const headers = st.headers.filter(([n]) => !(n.toLowerCase() === 'content-type' && st.body && 'json' in st.body));
  const text = isJson ? undefined : st.expect.text;
  const bodyText = text === undefined ? null : d.textLiteral ? d.textLiteral(text) : d.str(text);
  return {
    title: d.docText(`${st.method} ${st.path.map((p) => (typeof p === 'string' ? p : 'variable' in p ? `{${p.variable}}` : `$${p.env}`)).join('')} → ${st.expect.status}`),
    method: st.method,
    standardMethod: STANDARD_METHODS.has(st.method),
    methodLower: STANDARD_METHODS.has(st.method) ? st.method.toLowerCase() : '',
    methodQuoted: d.str(st.method),
    first: false,
    url: d.expr(url),
    asRecorded: clientsRequote(literalText([...st.path, ...queryString(st)])),
    headers: headers.map(([name, value]) => ({ name: d.str(name), value: d.expr(compact(value)) })),
    hasHeaders: headers.length > 0,
    json: st.body && 'json' in st.body ? d.json(st.body.json) : null,
    text: st.body && 'text' in st.body && !st.body.encoding ? d.str(st.body.text) : null,
    bytes: st.body && 'text' in st.body && st.body.encoding === 'base64' ? d.bytes(st.body.text) : null,
    status: st.expect.status,
    contentType: st.expect.contentType ? d.str(st.expect.contentType) : null,
    isJson,
    bodyText,
    schema: isJson && st.expect.schema ? d.schema(st.expect.schema) : null,
    values: isJson ? st.expect.values.map((v) => ({ pointer: d.str(v.pointer), expected: d.literal(v.value), comment: v.pointer })) : [],
    noise: st.expect.noise.filter((n) => !n.why.startsWith('captured')).map((n) => d.comment(`not asserted: ${n.pointer} (${n.why})`)),
    calls: st.cleanup ? [] : callComments(d, calls),
    captures: st.captures.map((c) => ({
      variable: d.variable(c.variable),
      pointer: c.from.startsWith('header:') ? null : d.str(c.from),
      header: c.from.startsWith('header:') ? d.str(c.from.slice('header:'.length)) : null,
    })),
    needs: [...needs].map((v) => d.variable(v)),
    cleanup: Boolean(st.cleanup),
  };
}

function scenarioView(d: Dialect, s: Scenario, calls: Map<string, EndpointCall[]>): ScenarioView {
  const steps = s.steps.filter((st) => !st.cleanup).map((st, i) => ({ ...stepView(d, st, calls.get(st.endpoint)), first: i === 0 }));
  const cleanup = s.steps.filter((st) => st.cleanup).map((st) => stepView(d, st));
  const variables = [...new Set(s.steps.flatMap((st) => st.captures.map((c) => d.variable(c.variable))))];
  const samples = s.samples > 1 ? ` (${s.samples} equivalent exchanges captured)` : '';
  const title = s.kind === 'flow' ? `${s.steps.filter((x) => !x.cleanup).length} chained requests, in the order captured${samples}` : `${steps[0]?.title ?? ''}${samples}`;
  return { name: d.testName(s.name), key: s.name, title, kind: s.kind, samples: s.samples, steps, cleanup, variables, hasCleanup: cleanup.length > 0 };
}

export function suiteView(d: Dialect, model: BehaviourModel, info: { version: string; source: string }): SuiteView {
  const names = new Set<string>();
  const calls = new Map(model.endpoints.flatMap((e) => (e.calls ? [[e.key, e.calls] as const] : [])));
  const scenarios = model.scenarios.map((s) => scenarioView(d, s, calls)).map((s) => {
    let name = s.name;
    let key = s.key;
    for (let n = 2; names.has(name); n++) {
      name = `${s.name}${d.language === 'go' || d.language === 'java' ? '' : '_'}${n}`;
      key = `${s.key}_${n}`;
    }
    names.add(name);
    return { ...s, name, key };
  });
  return {
    version: info.version,
    // The header is a doc comment or docstring: the database path and secrets' descriptions (which name the
    // redacted field, a JSON key from traffic) must not end it.
    source: d.docText(info.source),
    sourceLiteral: d.str(info.source),
    generatedFrom: `${model.source.used} captured exchanges`,
    baseUrl: d.str(model.baseUrl ?? 'http://127.0.0.1:8080'),
    env: model.env.map((e) => ({ name: d.docText(e.name), description: d.docText(e.description) })),
    scenarios,
    endpoints: model.endpoints.length,
    sendsAsRecorded: scenarios.some((s) => [...s.steps, ...s.cleanup].some((st) => st.asRecorded)),
  };
}
