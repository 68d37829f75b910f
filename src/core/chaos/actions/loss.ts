/** loss: a share of connections reset (Toxiproxy's reset_peer, toxicity = percent / 100). */
import type { ActionDriver } from '../types';
import { applyToxic, checkProxyAction, describeProxy, undoToxic } from './proxyFault';

export const driver: ActionDriver<'loss'> = {
  kind: 'loss',
  check: checkProxyAction,
  async apply(action, ctx) {
    const { percent, stream } = action.arguments;
    const data = await applyToxic(action, ctx, { type: 'reset_peer', stream, toxicity: percent / 100, attributes: { timeout: 0 } });
    return { action: action.name, kind: action.kind, data };
  },
  undo: (record, log) => undoToxic(record.data, log),
  describe: (action, experiment) => `reset ${action.arguments.percent} % of new connections (${action.arguments.stream}) on ${describeProxy(action, experiment)}`,
};
