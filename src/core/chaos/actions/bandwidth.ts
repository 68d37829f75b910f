/** bandwidth: a bandwidth toxic limiting the proxy's upstream or downstream to `rate` KB/s. */
import type { ActionDriver } from '../types';
import { applyToxic, checkProxyAction, describeProxy, undoToxic } from './proxyFault';

export const driver: ActionDriver<'bandwidth'> = {
  kind: 'bandwidth',
  check: checkProxyAction,
  async apply(action, ctx) {
    const { rateKBps, stream } = action.arguments;
    const data = await applyToxic(action, ctx, { type: 'bandwidth', stream, attributes: { rate: rateKBps } });
    return { action: action.name, kind: action.kind, data };
  },
  undo: (record, log) => undoToxic(record.data, log),
  describe: (action, experiment) => `limit ${action.arguments.stream} to ${action.arguments.rateKBps} KB/s on ${describeProxy(action, experiment)}`,
};
