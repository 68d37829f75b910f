import type { JsonSchema } from '../../learn/jsonSchema';
import type { JsonTemplate, TemplateString } from '../../learn/model';
import { commentText, concatParts, lineComment, snake, type Dialect } from '../dialect';

const jsonString = (s: string): string => JSON.stringify(s);

/** Python: f-strings for parts, dict literals for bodies, snake_case names. */
export const pythonPytest: Dialect = {
  id: 'python-pytest',
  language: 'python',
  framework: 'pytest',
  runner: 'python',
  file: 'tests/test_generated.py',
  template: 'test_generated.py.hbs',
  comment: lineComment('#'),
  // Inside a docstring a backslash starts an escape (\N{…} can be a syntax error) and a quote can end it.
  docText: (t) => commentText(t).replace(/[\\"]/g, '\\$&'),
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
  bytes: (b64) => `body_bytes(${jsonString(b64)})`,
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
      if (Array.isArray(o.$concat)) return this.expr(concatParts(o.$concat));
      return `{${Object.entries(o).map(([k, x]) => `${jsonString(k)}: ${render(x)}`).join(', ')}}`;
    };
    return render(value);
  },
  literal(v): string {
    return this.json(v);
  },
  schema: (s: JsonSchema) => JSON.stringify(s),
};
