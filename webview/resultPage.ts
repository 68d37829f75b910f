/**
 * A panel page that shows one result the host pushes (an audit, a property run): the last one is kept in the
 * webview's state, so a reload or a hidden-then-shown tab draws it again without asking the host.
 */
import { el, replaceChildren } from './dom';
import type { EventMessage } from './protocol';
import { RpcClient, vscodeApi } from './rpc';

export function showPushedResult<R>(pick: (event: EventMessage) => R | undefined, render: (root: HTMLElement, rpc: RpcClient, result: R) => void): void {
  const root = document.getElementById('app') ?? document.body;
  const api = vscodeApi();
  const state = { ...(api.getState() as { result?: R } | undefined) };
  const rpc = new RpcClient(api);
  rpc.onEvent((e) => {
    const result = pick(e);
    if (result === undefined) return;
    state.result = result;
    api.setState(state);
    render(root, rpc, result);
  });
  if (state.result !== undefined) render(root, rpc, state.result);
  else replaceChildren(root, el('p', { class: 'ct-muted' }, 'Loading…'));
  rpc.ready();
}
