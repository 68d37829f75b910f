import type { JsonSchema } from '../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../learn/model';
import { camel, snake, type Dialect } from './dialect';

const jsonString = (s: string): string => JSON.stringify(s);

/** Python: f-strings for parts, dict literals for bodies, snake_case names. */
export const pythonPytest: Dialect = {
  id: 'python-pytest',
  language: 'python',
  framework: 'pytest',
  file: 'tests/test_generated.py',
  template: 'test_generated.py.hbs',
  comment: (t) => `# ${t}`,
  testName: (s) => `test_${snake(s)}`,
  variable: (n) => (n === 'BASE_URL' ? 'BASE_URL' : snake(n)),
  str: jsonString,
  expr(t: TemplateString): string {
    if (t.every((p) => typeof p === 'string')) return jsonString(t.join(''));
    const body = t
      .map((p) => {
        if (typeof p === 'string') return JSON.stringify(p).slice(1, -1).replace(/\{/g, '{{').replace(/\}/g, '}}');
        return 'variable' in p ? `{${this.variable(p.variable)}}` : `{env('${p.env}')}`;
      })
      .join('');
    return `f"${body}"`;
  },
  json(value: JsonTemplate): string {
    const render = (v: unknown): string => {
      if (v === null) return 'None';
      if (v === true) return 'True';
      if (v === false) return 'False';
      if (typeof v === 'number' || typeof v === 'string') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
      const o = v as Record<string, unknown>;
      if (typeof o.$var === 'string') return this.variable(o.$var);
      if (typeof o.$env === 'string') return `env(${jsonString(o.$env)})`;
      if (Array.isArray(o.$concat)) return this.expr((o.$concat as unknown[]).map((p) => (typeof p === 'string' ? p : '$var' in (p as object) ? { variable: (p as { $var: string }).$var } : { env: (p as { $env: string }).$env })));
      return `{${Object.entries(o).map(([k, x]) => `${jsonString(k)}: ${render(x)}`).join(', ')}}`;
    };
    return render(value);
  },
  literal(v): string {
    return this.json(v);
  },
  schema: (s: JsonSchema) => JSON.stringify(s),
};

function tsDialect(id: string, framework: string): Dialect {
  return {
    id,
    language: 'typescript',
    framework,
    file: 'tests/generated.test.ts',
    template: 'generated.test.ts.hbs',
    shared: 'typescript-common',
    comment: (t) => `// ${t}`,
    testName: (s) => s.replace(/_/g, ' '),
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
    json(value: JsonTemplate): string {
      const render = (v: unknown): string => {
        if (v === null || typeof v !== 'object') return JSON.stringify(v);
        if (Array.isArray(v)) return `[${v.map(render).join(', ')}]`;
        const o = v as Record<string, unknown>;
        if (typeof o.$var === 'string') return this.variable(o.$var);
        if (typeof o.$env === 'string') return `env(${jsonString(o.$env)})`;
        if (Array.isArray(o.$concat)) return this.expr((o.$concat as unknown[]).map((p) => (typeof p === 'string' ? p : '$var' in (p as object) ? { variable: (p as { $var: string }).$var } : { env: (p as { $env: string }).$env })));
        const entries = Object.entries(o);
        return entries.length ? `{ ${entries.map(([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : jsonString(k)}: ${render(x)}`).join(', ')} }` : '{}';
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

export const DIALECTS: Dialect[] = [pythonPytest, typescriptVitest, typescriptNode];

/** The dialect for a language and optional framework; the first framework of a language is its default. */
export function findDialect(language: string, framework?: string): Dialect | undefined {
  const lang = language.toLowerCase() === 'ts' ? 'typescript' : language.toLowerCase() === 'py' ? 'python' : language.toLowerCase();
  const matches = DIALECTS.filter((d) => d.language === lang);
  if (!framework) return matches[0];
  const f = framework.toLowerCase().replace(/^node$/, 'node:test');
  return matches.find((d) => d.framework === f);
}
