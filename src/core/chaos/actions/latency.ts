/** latency: a latency toxic (with jitter) on the proxy's upstream or downstream. */
import type { ActionDriver } from '../types';
import { applyToxic, checkProxyAction, describeProxy, undoToxic } from './proxyFault';

export const driver: ActionDriver<'latency'> = {
  kind: 'latency',
  check: checkProxyAction,
  async apply(action, ctx) {
    const { latencyMs, jitterMs, stream } = action.arguments;
    const data = await applyToxic(action, ctx, { type: 'latency', stream, attributes: { latency: latencyMs, jitter: jitterMs } });
    return { action: action.name, kind: action.kind, data };
  },
  undo: (record, log) => undoToxic(record.data, log),
  describe: (action, experiment) => {
    const { latencyMs, jitterMs, stream } = action.arguments;
    return `add ${latencyMs} ms latency (±${jitterMs} ms) ${stream} on ${describeProxy(action, experiment)}`;
  },
};
