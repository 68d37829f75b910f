import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JsonSchema } from '../../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../../learn/model';
import { camel, commentText, concatParts, lineComment, pascal, type Dialect } from '../dialect';

/** Keywords, predeclared names and the names the generated file uses itself: a variable named so gets a `Value` suffix. */
const RESERVED = new Set([
  'break', 'case', 'chan', 'const', 'continue', 'default', 'defer', 'else', 'fallthrough', 'for', 'func', 'go', 'goto', 'if', 'import',
  'interface', 'map', 'package', 'range', 'return', 'select', 'struct', 'switch', 'type', 'var',
  'any', 'bool', 'byte', 'error', 'string', 'int', 'len', 'cap', 'nil', 'true', 'false', 'iota', 'new', 'make', 'append', 'copy', 'delete', 'panic', 'print', 'println', 'recover',
  't', 'r', 'baseURL', 'client', 'env', 'setting', 'at', 'text', 'send', 'cleanup', 'checkShape', 'expectEqual', 'response', 'plainText', 'rawBytes', 'decodeBase64', 'shape',
  'base64', 'bytes', 'json', 'fmt', 'io', 'math', 'http', 'os', 'reflect', 'strconv', 'strings', 'testing', 'time',
]);

/**
 * A Go interpreted string literal. JSON's escapes are Go's too, except a lone surrogate (\ud800), which Go rejects.
 */
function goString(s: string): string {
  return JSON.stringify(s).replace(/\\u(d[89a-f][0-9a-f]{2})/gi, '\\ufffd');
}

/** JSON text as a Go literal: a raw string when it can be one (more readable), an interpreted one otherwise. */
function jsonLiteral(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('`') ? goString(text) : `\`${text}\``;
}

/** A Go number constant that fits an `any` (int, or float64 for fractions and integers too large for int). */
function goNumber(n: number): string {
  const s = JSON.stringify(n);
  return Number.isInteger(n) && Math.abs(n) > 2 ** 62 && !/[.e]/.test(s) ? `${s}.0` : s;
}

/** The folder or one above it holds a go.mod (the suite then belongs to that module). */
function inModule(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'go.mod'))) return true;
    if (path.dirname(d) === d) return false;
  }
}

/**
 * Go: the standard library's testing and net/http. Strings are built with fmt.Sprintf (gofmt would re-space `+`
 * in argument lists), captured values are `any` (text() spells them in paths; bodies keep them as numbers),
 * expected values and shapes are JSON literals decoded at run time and compared as decoded values.
 */
export const goTesting: Dialect = {
  id: 'go-testing',
  language: 'go',
  framework: 'testing',
  runner: 'go',
  file: 'tests/generated_test.go',
  template: 'generated_test.go.hbs',
  scaffold(outDir: string) {
    // runners.ts runs `go test ./...` where go.mod is: the output folder, or its tests/ folder.
    if (inModule(outDir) || fs.existsSync(path.join(outDir, 'tests', 'go.mod'))) return [];
    return [{ path: 'go.mod', content: 'module generatedtests\n\ngo 1.19\n' }];
  },
  comment: lineComment('//'),
  docText: commentText,
  testName: (s) => `Test${pascal(s)}`,
  variable(n: string): string {
    if (n === 'BASE_URL') return 'baseURL';
    const v = camel(n) || 'value';
    const name = /^[0-9]/.test(v) ? `v${v}` : v;
    return RESERVED.has(name) ? `${name}Value` : name;
  },
  str: goString,
  expr(t: TemplateString): string {
    const term = (p: { variable: string } | { env: string }): string =>
      'variable' in p ? (p.variable === 'BASE_URL' ? 'baseURL' : `text(${this.variable(p.variable)})`) : `env(t, ${goString(p.env)})`;
    if (t.every((p) => typeof p === 'string')) return goString(t.join(''));
    if (t.length === 1) return term(t[0] as { variable: string } | { env: string });
    const format = t.map((p) => (typeof p === 'string' ? p.replace(/%/g, '%%') : '%s')).join('');
    const args = t.flatMap((p) => (typeof p === 'string' ? [] : [term(p)]));
    return `fmt.Sprintf(${goString(format)}, ${args.join(', ')})`;
  },
  bytes: (b64) => `decodeBase64(t, ${goString(b64)})`,
  json(value: JsonTemplate): string {
    const render = (v: unknown): string => {
      if (v === null) return 'nil';
      if (typeof v === 'boolean') return String(v);
      if (typeof v === 'number') return goNumber(v);
      if (typeof v === 'string') return goString(v);
      if (Array.isArray(v)) return `[]any{${v.map(render).join(', ')}}`;
      const o = v as Record<string, unknown>;
      if (typeof o.$var === 'string') return this.variable(o.$var);
      if (typeof o.$env === 'string') return `env(t, ${goString(o.$env)})`;
      if (Array.isArray(o.$concat)) return this.expr(concatParts(o.$concat));
      return `map[string]any{${Object.entries(o).map(([k, x]) => `${goString(k)}: ${render(x)}`).join(', ')}}`;
    };
    return render(value);
  },
  literal: (v) => jsonLiteral(v),
  schema: (s: JsonSchema) => jsonLiteral(s),
};
