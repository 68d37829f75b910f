/** network-partition: the proxy goes down (refuses new connections, cuts live ones); undo brings it up. */
import { callFaultApi } from '../../faults/client';
import type { ActionDriver } from '../types';
import { checkProxyAction, describeProxy, proxyEndpoint, undoPartition, type ProxyRecordData } from './proxyFault';

export const driver: ActionDriver<'network-partition'> = {
  kind: 'network-partition',
  check: checkProxyAction,
  async apply(action, ctx) {
    const { api, proxy } = proxyEndpoint(action, ctx);
    const data: ProxyRecordData = { target: action.target, api, proxy };
    const record = { action: action.name, kind: action.kind, data };
    ctx.journal(record);
    await callFaultApi(api, 'POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled: false });
    ctx.log(`${action.name}: proxy '${proxy}' is down`);
    return record;
  },
  undo: (record, log) => undoPartition(record.data, log),
  describe: (action, experiment) => `take ${describeProxy(action, experiment)} down (refuse and cut connections), then bring it up`,
};
