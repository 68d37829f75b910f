/**
 * An invariant's failing trial as plain HTTP from a fresh start (HttpExampleStep), for a regression test rendered
 * by the generate templates: placeholders of the request templates that name captured values become variables.
 */
import type { TemplateString } from '../../learn/model';
import type { HttpExampleStep, InvariantRequest } from '../types';
import { fill, fillRequest } from './options';

type Scalar = HttpExampleStep['values'][number]['value'];

/** `req` as a step: `{name}` placeholders in `captured` become variables, the others are filled from `values`. */
export function exampleStep(req: InvariantRequest, values: Record<string, unknown>, captured: string[], answer: { status: number | null; json?: unknown }, more: Partial<Pick<HttpExampleStep, 'captures' | 'values'>> = {}): HttpExampleStep {
  const path: TemplateString = req.path.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name && captured.includes(name)) return { variable: name };
    return name && name in values ? encodeURIComponent(String(values[name])) : part;
  });
  const asVariables = Object.fromEntries(captured.map((c) => [c, { $var: c }]));
  const { headers } = fillRequest(req, values);
  return {
    method: req.method, path, headers: headers ?? [], status: answer.status ?? 0, contentType: answer.json === undefined ? null : 'application/json', captures: more.captures ?? [], values: more.values ?? [],
    ...(req.body !== undefined ? { body: fill(req.body, { ...values, ...asVariables }) } : {}),
  };
}

/** The value a correct service serves, typed as the served one (SQL numerics come as strings); undefined when not a scalar. */
export function expectedScalar(truth: unknown, served: unknown): Scalar | undefined {
  if (typeof served === 'number' && typeof truth === 'string' && truth.trim() !== '' && Number.isFinite(Number(truth))) return Number(truth);
  if (truth === null || ['string', 'number', 'boolean'].includes(typeof truth)) return truth as Scalar;
  return undefined;
}
