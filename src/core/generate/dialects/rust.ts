import type { JsonSchema } from '../../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../../learn/model';
import { commentText, concatParts, lineComment, snake, type Dialect, quotedString } from '../dialect';

/**
 * Rust: `#[test]` functions with ureq + serde_json. The output must pass `rustfmt --check` without running rustfmt,
 * so every expression here is spelled the way rustfmt would lay it out: short ones on one line, long ones in shapes
 * rustfmt never joins (a block of statements, a `concat!` of raw-string pieces that cannot fit on one line).
 * Steps sit at most 8 columns deep (inside the closure of a test with cleanup); widths are measured for that depth.
 */

const MAX_WIDTH = 100;
/** The deepest a step's statement starts (a closure inside the test function). */
const DEPTH = 8;
/** A raw string piece of a long literal. */
const PIECE = 60;

const KEYWORDS = new Set(
  'as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self static struct super trait true type unsafe use where while abstract become box do final macro override priv try typeof unsized virtual yield'.split(' '),
);
/** Names the template itself binds in a test. */
const TAKEN = new Set(['r', 'body', 'url', 'json', 'shape', 'request', 'value', 'outcome', 'text', 'env', 'at', 'base_url', 'parse', 'check_shape', 'check_value']);

/** A Rust string literal (JSON escapes that Rust lacks spelled its way). */
export function rustStr(s: string): string {
  return quotedString(s, (c) => `\\u{${c.toString(16)}}`);
}

/** A byte string literal (b"…") of the bytes a base64 text stands for: no decoder, no crate. */
export function rustBytes(b64: string): string {
  let out = 'b"';
  for (const byte of Buffer.from(b64, 'base64')) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** A raw string literal with enough #s. */
function raw(s: string): string {
  let hashes = '#';
  while (s.includes(`"${hashes}`)) hashes += '#';
  return `r${hashes}"${s}"${hashes}`;
}

/** Splits text into pieces of at most PIECE characters (never inside a surrogate pair). */
function pieces(s: string): string[] {
  const chars = [...s];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += PIECE) out.push(chars.slice(i, i + PIECE).join(''));
  return out;
}

/**
 * `parse(<json text>)`: one raw string when `<prefix>parse(r#"…"#);` fits at the deepest indent, else a `concat!`
 * of pieces laid out one per line (then it fits on no line at any indent, so rustfmt keeps it vertical).
 */
function parseText(text: string, prefix: number): string {
  const one = `parse(${raw(text)})`;
  if (DEPTH + prefix + one.length + 1 <= MAX_WIDTH) return one;
  return `parse(concat!(\n${pieces(text).map((p) => `    ${raw(p)}`).join(',\n')}\n))`;
}

/**
 * The expected text of a body: one literal when `r.expect_text("…");` fits at the deepest indent, else a `concat!`
 * of pieces laid out one per line (as parseText, so rustfmt keeps it vertical).
 */
function textLiteral(text: string): string {
  const one = rustStr(text);
  if (DEPTH + 'r.expect_text();'.length + one.length <= MAX_WIDTH) return one;
  return `concat!(\n${pieces(text).map((p) => `    ${rustStr(p)}`).join(',\n')}\n)`;
}

function variableName(n: string): string {
  if (n === 'BASE_URL') return 'base_url()';
  let v = snake(n) || 'value';
  if (/^[0-9]/.test(v)) v = `v_${v}`;
  if (KEYWORDS.has(v) || TAKEN.has(v)) v = `${v}_var`;
  return v;
}

/** A String expression from parts: `format!(…)` on one line when short, else a block that appends the parts. */
function stringExpr(t: TemplateString): string {
  const arg = (p: { variable: string } | { env: string }): string => ('variable' in p ? (p.variable === 'BASE_URL' ? 'base_url()' : `text(&${variableName(p.variable)})`) : `env(${rustStr(p.env)})`);
  let one: string;
  if (t.every((p) => typeof p === 'string')) one = `${rustStr(t.join(''))}.to_string()`;
  else if (t.length === 1 && typeof t[0] !== 'string') one = arg(t[0]);
  else {
    const fmt = t.map((p) => (typeof p === 'string' ? rustStr(p).slice(1, -1).replace(/\{/g, '{{').replace(/\}/g, '}}') : '{}')).join('');
    const args = t.filter((p): p is { variable: string } | { env: string } => typeof p !== 'string').map(arg);
    one = `format!("${fmt}", ${args.join(', ')})`;
  }
  // `let value = <expr>;` is the longest statement an expression is put in; rustfmt also lays out the arguments of
  // format! one a line past 60 columns (fn_call_width).
  const argsWidth = one.startsWith('format!(') ? one.length - 'format!()'.length : 0;
  if (argsWidth <= 60 && DEPTH + 'let value = '.length + one.length + 1 <= MAX_WIDTH) return one;
  const lines = ['{', '    let mut s = String::new();'];
  for (const p of t) lines.push(`    s += ${typeof p === 'string' ? rustStr(p) : `&${arg(p)}`};`);
  lines.push('    s', '}');
  return lines.join('\n');
}

export const rustUreq: Dialect = {
  id: 'rust-ureq',
  language: 'rust',
  framework: 'ureq',
  runner: 'rust',
  file: 'tests/test_generated.rs',
  template: 'test_generated.rs.hbs',
  scaffold: () => [
    {
      path: 'Cargo.toml',
      content: [
        '[package]',
        'name = "generated-tests"',
        'version = "0.1.0"',
        'edition = "2021"',
        'publish = false',
        '',
        '[dev-dependencies]',
        'ureq = "2"',
        'serde_json = "1"',
        '',
      ].join('\n'),
    },
    { path: 'src/lib.rs', content: '//! The generated tests live in tests/; this library is empty (cargo needs a target).\n' },
  ],
  comment: lineComment('//'),
  docText: commentText,
  testName: (s) => {
    const n = snake(s) || 'scenario';
    return /^[0-9]/.test(n) || KEYWORDS.has(n) ? `test_${n}` : n;
  },
  variable: variableName,
  str: rustStr,
  textLiteral,
  expr: (t: TemplateString) => stringExpr(t),
  bytes: rustBytes,
  json(value: JsonTemplate): string {
    // The body as JSON text with null where a variable goes, then each variable set at its pointer.
    const sets: Array<[string, string]> = [];
    const esc = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');
    const strip = (v: unknown, pointer: string): unknown => {
      if (Array.isArray(v)) return v.map((x, i) => strip(x, `${pointer}/${i}`));
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (typeof o.$var === 'string') sets.push([pointer, `${variableName(o.$var)}.clone()`]);
        else if (typeof o.$env === 'string') sets.push([pointer, `Value::from(env(${rustStr(o.$env)}))`]);
        else if (Array.isArray(o.$concat)) sets.push([pointer, `Value::from(${stringExpr(concatParts(o.$concat))})`]);
        else return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, strip(x, `${pointer}/${esc(k)}`)]));
        return null;
      }
      return v;
    };
    const text = JSON.stringify(strip(value, ''));
    if (!sets.length) return parseText(text, 'let json = '.length);
    const lines = ['{', `    let mut json = ${parseText(text, 4 + 'let mut json = '.length).replace(/\n/g, '\n    ')};`];
    for (const [pointer, v] of sets) lines.push(pointer === '' ? `    json = ${v.replace(/\n/g, '\n    ')};` : `    set!(json, ${rustStr(pointer)} => ${v.replace(/\n/g, '\n    ')});`);
    lines.push('    json', '}');
    return lines.join('\n');
  },
  literal(v): string {
    if (v === null) return 'Value::Null';
    if (typeof v === 'string') return `Value::from(${rustStr(v)})`;
    if (typeof v === 'boolean') return `Value::from(${v})`;
    return `parse(${rustStr(JSON.stringify(v))})`;
  },
  schema: (s: JsonSchema) => parseText(JSON.stringify(s), 'let shape = '.length),
};
