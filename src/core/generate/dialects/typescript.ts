import type { JsonSchema } from '../../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../../learn/model';
import { blockCommentText, camel, concatParts, lineComment, type Dialect } from '../dialect';

const jsonString = (s: string): string => JSON.stringify(s);

/** A key of an object literal: `__proto__: x` (quoted or not) sets the prototype; only a computed key makes a field. */
function objectKey(k: string): string {
  if (k === '__proto__') return `[${jsonString(k)}]`;
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : jsonString(k);
}

function tsDialect(id: string, framework: string): Dialect {
  return {
    id,
    language: 'typescript',
    framework,
    runner: framework === 'vitest' ? 'typescript-vitest' : 'typescript-node',
    file: 'tests/generated.test.ts',
    template: 'generated.test.ts.hbs',
    shared: 'typescript-common',
    comment: lineComment('//'),
    docText: blockCommentText,
    // Written between single quotes: nothing but letters, digits and spaces.
    testName: (s) => s.replace(/[^A-Za-z0-9]+/g, ' ').trim(),
    variable: (n) => (n === 'BASE_URL' ? 'BASE_URL' : camel(n)),
    str: jsonString,
    expr(t: TemplateString): string {
      if (t.every((p) => typeof p === 'string')) return jsonString(t.join(''));
      const body = t
        .map((p) => {
          if (typeof p === 'string') return p.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
          return 'variable' in p ? `\${${this.variable(p.variable)}}` : `\${env(${jsonString(p.env)})}`;
        })
        .join('');
      return `\`${body}\``;
    },
    bytes: (b64) => `Buffer.from(${jsonString(b64)}, 'base64')`,
    json(value: JsonTemplate): string {
      const render = (v: unknown): string => {
        if (v === null || typeof v !== 'object') return JSON.stringify(v);
        if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
        const o = v as Record<string, unknown>;
        if (typeof o.$var === 'string') return this.variable(o.$var);
        if (typeof o.$env === 'string') return `env(${jsonString(o.$env)})`;
        if (Array.isArray(o.$concat)) return this.expr(concatParts(o.$concat));
        const entries = Object.entries(o);
        return entries.length ? `{ ${entries.map(([k, x]) => `${objectKey(k)}: ${render(x)}`).join(', ')} }` : '{}';
      };
      return render(value);
    },
    literal(v): string {
      return JSON.stringify(v);
    },
    schema: (s: JsonSchema) => JSON.stringify(s),
  };
}

export const typescriptVitest = tsDialect('typescript-vitest', 'vitest');
export const typescriptNode = tsDialect('typescript-node', 'node:test');
