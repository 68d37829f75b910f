import type { JsonSchema } from '../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../learn/model';
import type { RunnerLanguage } from './runners';

/**
 * What differs between target languages below the level of a template: how to spell a string, an expression
 * built from parts, a JSON body with variables in it, an expected value. The handlebars template gives the file
 * its shape; the dialect gives it its words.
 */
export interface Dialect {
  /** templates/<id>/ */
  id: string;
  language: 'python' | 'typescript' | 'go' | 'rust' | 'java';
  framework: string;
  /** How runners.ts checks and runs this suite. */
  runner: RunnerLanguage;
  /** Where the suite goes, relative to the output folder. */
  file: string;
  /** The handlebars template in templates/<id>/. */
  template: string;
  /** A folder of partials shared with other frameworks of the language (templates/<shared>/). */
  shared?: string;
  /**
   * Files the suite needs around it when the project has none (go.mod, a minimal Cargo.toml): written only when
   * missing, never replaced. Paths are relative to the output folder.
   */
  scaffold?(outDir: string): Array<{ path: string; content: string }>;
  /** A comment line, safe for any text (it is written on one line, with nothing the language reads as code). */
  comment(text: string): string;
  /**
   * Text safe inside the file's doc comments and docstrings (the header, a test's title): on one line, with nothing
   * that ends the comment or docstring, or that the language reads inside it.
   */
  docText(text: string): string;
  testName(scenario: string): string;
  variable(name: string): string;
  str(s: string): string;
  /** The literal of a whole expected text body, when the language lays a long one out its own way (else `str`). */
  textLiteral?(text: string): string;
  /** A string expression from literal parts, variables and environment variables. */
  expr(t: TemplateString): string;
  /** An expression of the bytes a base64 text stands for (a binary request body, sent as those bytes). */
  bytes(base64: string): string;
  /** An expression that builds the JSON body (variables and env values substituted). */
  json(value: JsonTemplate): string;
  /** A literal of an expected JSON value (compared with the decoded response). */
  literal(value: string | number | boolean | null): string;
  /** A literal of the shape (required fields and types) the response must have. */
  schema(s: JsonSchema): string;
}

/**
 * Text on one line with nothing a language reads as code inside a line comment: line breaks and other control
 * characters (Go and Python also refuse NUL, Go a BOM) become spaces, and Java's \u escapes (which javac decodes
 * before it sees comments) are broken apart.
 */
export function commentText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]+/g, ' ').replace(/\\u/g, '\\ u');
}

/** A line comment that starts with `prefix` (`//`, `#`) and holds any text safely. */
export function lineComment(prefix: string): (text: string) => string {
  return (text) => `${prefix} ${commentText(text)}`;
}

/** commentText for a `/* … *\/` block: a `*\/` in the text would end the block. */
export function blockCommentText(s: string): string {
  return commentText(s).replace(/\*\//g, '*\\/');
}

export function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').toLowerCase();
}

export function camel(s: string): string {
  const parts = snake(s).split('_').filter(Boolean);
  return parts.map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1))).join('');
}

export function pascal(s: string): string {
  const c = camel(s);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

/** Merges adjacent literal parts so expressions stay short. */
export function compact(t: TemplateString): TemplateString {
  const out: TemplateString = [];
  for (const p of t) {
    const last = out[out.length - 1];
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else if (p !== '') out.push(p);
  }
  return out;
}

/** Environment variables and variables a JSON template refers to. */
export function jsonRefs(value: JsonTemplate, out = { vars: new Set<string>(), env: new Set<string>() }): { vars: Set<string>; env: Set<string> } {
  if (Array.isArray(value)) for (const v of value) jsonRefs(v, out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$var === 'string') out.vars.add(o.$var);
    else if (typeof o.$env === 'string') out.env.add(o.$env);
    else for (const v of Object.values(o)) jsonRefs(v, out);
  }
  return out;
}

/** The parts of a `{ $concat: [...] }` JSON template leaf as a template string. */
export function concatParts(parts: unknown[]): TemplateString {
  return parts.map((p) => {
    if (typeof p === 'string') return p;
    const o = p as { $var?: string; $env?: string };
    return o.$var !== undefined ? { variable: o.$var } : { env: String(o.$env) };
  });
}

/**
 * A double-quoted string literal in a C-like language: quotes, backslashes, \n, \r and \t escaped the usual way,
 * other control characters by the language's own `control` escape.
 */
export function quotedString(s: string, control: (code: number) => string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += control(c);
    else out += ch;
  }
  return `${out}"`;
}
