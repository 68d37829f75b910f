import { VERSION } from '../version';
import type { JsonSchema } from './jsonSchema';
import type { BehaviourModel, EndpointModel } from './model';

/** A JSON Schema of ours as OpenAPI 3.1 takes it (3.1 schemas are JSON Schema 2020-12, so little changes). */
function schema(s: JsonSchema | undefined): Record<string, unknown> {
  if (!s) return {};
  const out: Record<string, unknown> = {};
  if (s.type !== undefined) out.type = s.type;
  if (s.format) out.format = s.format;
  if (s.properties) out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, schema(v)]));
  if (s.required?.length) out.required = s.required;
  if (s.items) out.items = schema(s.items);
  return out;
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Content',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function operationId(e: EndpointModel): string {
  const words = `${e.method.toLowerCase()} ${e.template}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w : w.charAt(0).toUpperCase() + w.slice(1))).join('');
}

/** OpenAPI 3.1 of what was observed: paths, parameters, request and response schemas, with the counts seen. */
export function toOpenApi(model: BehaviourModel, title = 'Observed API'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const bearer = model.endpoints.some((e) => model.scenarios.some((s) => s.steps.some((st) => st.endpoint === e.key && st.headers.some(([n, v]) => n === 'authorization' && /^Bearer /i.test(String(v[0]))))));
  for (const e of model.endpoints) {
    const item = (paths[e.template] ??= {});
    const parameters = [
      ...e.params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ...e.queryParams.map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
    ];
    const responses: Record<string, unknown> = {};
    for (const r of e.responses) {
      const response: Record<string, unknown> = { description: `${REASONS[r.status] ?? 'Response'} (seen ${r.count}×)` };
      if (r.contentType) response.content = { [r.contentType]: { schema: schema(r.schema) } };
      responses[String(r.status)] = response;
    }
    const op: Record<string, unknown> = {
      operationId: operationId(e),
      summary: `${e.method} ${e.template}`,
      description: `Observed ${e.count}× (latency p50 ${e.latency.p50} ms, p99 ${e.latency.p99} ms).`,
      responses,
    };
    if (parameters.length) op.parameters = parameters;
    if (e.requestContentType && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(e.method)) {
      op.requestBody = { content: { [e.requestContentType]: { schema: schema(e.requestSchema) } } };
    }
    item[e.method.toLowerCase()] = op;
  }
  const doc: Record<string, unknown> = {
    openapi: '3.1.0',
    info: { title, version: '0.0.0', description: `Learned by chaos-testing ${VERSION} from ${model.source.used} captured exchanges.` },
    paths,
  };
  if (model.baseUrl) doc.servers = [{ url: model.baseUrl }];
  if (bearer) doc.components = { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } };
  return doc;
}
