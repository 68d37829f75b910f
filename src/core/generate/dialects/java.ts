import type { JsonSchema } from '../../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../../learn/model';
import { blockCommentText, camel, concatParts, lineComment, type Dialect, quotedString } from '../dialect';

/**
 * A Java string literal. Control characters become octal escapes: a `\u000a` in Java source is turned into a line
 * break before the string is even read, so Unicode escapes are never written.
 */
export function javaString(s: string): string {
  return quotedString(s, (c) => `\\${c.toString(8).padStart(3, '0')}`);
}

/** Java keywords and the names the generated methods use themselves (a captured variable must not shadow them). */
const RESERVED = new Set(
  (
    'abstract assert boolean break byte case catch char class const continue default do double else enum extends final finally float for goto if ' +
    'implements import instanceof int interface long native new package private protected public return short static strictfp super switch ' +
    'synchronized this throw throws transient try void volatile while true false null var record yield ' +
    'r body at env send expectResponse expectEqual checkShape cleanup lastSegment Json'
  ).split(' '),
);

/** A number as the embedded parser decodes it: integral values in range as Long, the others as Double. */
export function javaNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 2 ** 63) return `${BigInt(v)}L`;
  if (!Number.isFinite(v)) return 'null';
  return `${String(v)}d`;
}

/** Java 17: JUnit 5 and java.net.http, a small JSON parser and writer embedded (the JDK has none), camelCase names. */
export const javaJunit5: Dialect = {
  id: 'java-junit5',
  language: 'java',
  framework: 'junit5',
  runner: 'java',
  file: 'src/test/java/generated/GeneratedApiTest.java',
  template: 'GeneratedApiTest.java.hbs',
  comment: lineComment('//'),
  docText: blockCommentText,
  testName(s: string): string {
    const name = camel(s) || 'scenario';
    return /^[0-9]/.test(name) ? `test${name}` : name;
  },
  variable(n: string): string {
    if (n === 'BASE_URL') return 'BASE_URL';
    let name = camel(n) || 'value';
    if (/^[0-9]/.test(name)) name = `v${name}`;
    return RESERVED.has(name) ? `${name}Value` : name;
  },
  str: javaString,
  expr(t: TemplateString): string {
    if (t.every((p) => typeof p === 'string')) return javaString(t.join(''));
    return t
      .map((p) => {
        if (typeof p === 'string') return javaString(p);
        if ('env' in p) return `env(${javaString(p.env)})`;
        const v = this.variable(p.variable);
        return v === 'BASE_URL' ? v : `String.valueOf(${v})`;
      })
      .join(' + ');
  },
  bytes: (b64) => `Base64.getDecoder().decode(${javaString(b64)})`,
  json(value: JsonTemplate): string {
    const render = (v: unknown): string => {
      if (v === null) return 'null';
      if (typeof v === 'boolean') return String(v);
      if (typeof v === 'number') return javaNumber(v);
      if (typeof v === 'string') return javaString(v);
      if (Array.isArray(v)) {
        // A lone null would be taken for the varargs array itself (and javac warns about it).
        if (v.length === 1 && v[0] === null) return 'Json.array((Object) null)';
        return `Json.array(${v.map(render).join(', ')})`;
      }
      const o = v as Record<string, unknown>;
      if (typeof o.$var === 'string') return this.variable(o.$var);
      if (typeof o.$env === 'string') return `env(${javaString(o.$env)})`;
      if (Array.isArray(o.$concat)) return this.expr(concatParts(o.$concat));
      return `Json.object(${Object.entries(o).map(([k, x]) => `${javaString(k)}, ${render(x)}`).join(', ')})`;
    };
    return render(value);
  },
  literal(v): string {
    if (v === null) return 'null';
    if (typeof v === 'number') return javaNumber(v);
    if (typeof v === 'string') return javaString(v);
    return String(v);
  },
  schema: (s: JsonSchema) => `Json.parse(${javaString(JSON.stringify(s))})`,
};
