/**
 * A declarative user invariant (.chaos/invariants/NAME.yaml): a request sequence with assertions, run once, in
 * order; the first assertion that fails is the violation and the steps up to it are its example.
 *
 *   description: a created account reads back with its balance
 *   database: postgres://postgres@127.0.0.1:5432/postgres   # only for sql steps
 *   steps:
 *     - request: { method: POST, path: /api/accounts, body: { balance: 5 } }
 *       expect: { status: 201, json: { /balance: 5 } }      # status: a number or a list; json: pointer → value
 *       save: { id: /id }                                    # pointer into the answer, used as {id} later
 *     - request: { method: GET, path: "/api/accounts/{id}" }
 *       expect: { status: 200, json: { /balance: 5 } }
 *     - sql: SELECT balance FROM accounts WHERE id = $1
 *       params: ["{id}"]
 *       expect: { value: 5 }                                 # first column of the first row; or rows: N
 */
import { InputError } from '../../errors';
import type { Invariant, InvariantViolation, Step } from '../types';
import { connectSql, type SqlClient } from './clients';
import { OptionReader, fill, fillRequest, pointer, sameValue, type Obj } from './options';
import { actionStep } from './scenarios';

const MAX_STEPS = 200;

interface YamlStep {
  reader: OptionReader;
  kind: 'request' | 'sql';
}

export function yamlInvariant(name: string, file: string, doc: Obj): Invariant {
  const top = new OptionReader(file, doc);
  const raw = doc.steps;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_STEPS) throw new InputError(`${file}: 'steps' must be a list of 1 to ${MAX_STEPS} steps (request: … or sql: …)`);
  const steps: YamlStep[] = raw.map((s, i) => {
    const where = `${file} steps[${i}]`;
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw new InputError(`${where}: each step is a mapping with request: or sql:`);
    const reader = new OptionReader(where, s as Obj);
    if (reader.has('request')) {
      reader.request('request');
      return { reader, kind: 'request' };
    }
    if (reader.has('sql')) {
      reader.string('sql');
      if (!top.has('database')) throw new InputError(`${file}: sql steps need 'database' (a postgres:// URL) at the top of the file`);
      return { reader, kind: 'sql' };
    }
    throw new InputError(`${where}: a step has request: (an HTTP call) or sql: (a query)`);
  });
  const database = top.has('database') ? top.string('database') : undefined;
  const description = top.string('description', `${steps.length} steps from ${file}`);

  return {
    name,
    description,
    async run(ctx) {
      const values: Record<string, unknown> = {};
      const done: Step[] = [];
      let db: SqlClient | undefined;
      const fail = (message: string): { outcome: { name: string; passed: boolean; summary: string }; violations: InvariantViolation[] } => ({
        outcome: { name, passed: false, summary: message },
        violations: [{ check: name, kind: 'invariant', endpoint: done[done.length - 1]?.endpoint ?? null, message: `${name}: ${message}`, minimalExample: done }],
      });
      try {
        for (const [i, s] of steps.entries()) {
          if (ctx.signal?.aborted) break;
          const expect = s.reader.has('expect') ? s.reader.object('expect') : undefined;
          if (s.kind === 'request') {
            const res = await ctx.send(fillRequest(s.reader.request('request'), values));
            const { json, ...step } = res;
            done.push(step);
            const status = expect?.o.status;
            if (status !== undefined) {
              const allowed = (Array.isArray(status) ? status : [status]).map(Number);
              if (!allowed.includes(res.status ?? -1)) return fail(`step ${i + 1}: ${step.method} ${step.path} answered ${res.status ?? `no response (${res.error ?? 'failed'})`}, expected ${allowed.join(' or ')}`);
            }
            for (const [ptr, want] of Object.entries(expect?.has('json') ? expect.object('json').o : {})) {
              const got = pointer(json, ptr);
              if (!sameValue(got, fill(want, values))) return fail(`step ${i + 1}: ${step.method} ${step.path} has ${ptr} = ${JSON.stringify(got)}, expected ${JSON.stringify(fill(want, values))}`);
            }
            for (const [variable, ptr] of Object.entries(s.reader.has('save') ? s.reader.object('save').o : {})) values[variable] = pointer(json, String(ptr));
          } else {
            db ??= await connectSql(database!, `${name} database`);
            const sql = s.reader.string('sql');
            const params = Array.isArray(s.reader.o.params) ? (fill(s.reader.o.params, values) as unknown[]) : [];
            const rows = await db.query(sql, params);
            const first = Object.values(rows[0] ?? {})[0];
            done.push(actionStep('SQL', sql, `${rows.length} row${rows.length === 1 ? '' : 's'}${rows.length ? `, first value ${JSON.stringify(first)}` : ''}`));
            if (expect?.has('value') && !sameValue(first, fill(expect.o.value, values))) return fail(`step ${i + 1}: '${sql}' gave ${JSON.stringify(first)}, expected ${JSON.stringify(fill(expect.o.value, values))}`);
            if (expect?.has('rows') && rows.length !== Number(expect.o.rows)) return fail(`step ${i + 1}: '${sql}' gave ${rows.length} rows, expected ${String(expect.o.rows)}`);
            for (const [variable, column] of Object.entries(s.reader.has('save') ? s.reader.object('save').o : {})) values[variable] = rows[0]?.[String(column)];
          }
        }
        return { outcome: { name, passed: true, summary: `${done.length} steps, every assertion held` }, violations: [] };
      } finally {
        await db?.close();
      }
    },
  };
}
