import type { CaptureProxy } from '../capture/proxy';
import { InputError } from '../errors';
import type { FaultTarget } from './target';
import { formatHostPort } from './tcpProxy';
import { copyToxic, type Toxic } from './toxics';

/** The capture proxy as a fault target: its live toxic list and its `down` switch, under a name for the API. */
export class HttpFaultTarget implements FaultTarget {
  constructor(
    readonly name: string,
    private readonly _proxy: CaptureProxy,
    /** What the proxy forwards to, for the API's JSON (a URL, or 'forward' for a forward proxy). */
    private readonly _upstream: string,
  ) {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new InputError(`proxy name '${name}' must be 1-64 letters, digits, '_', '.' or '-'`);
  }

  get enabled(): boolean {
    return !this._proxy.down;
  }

  get toxics(): Toxic[] {
    return this._proxy.faults.list();
  }

  addresses(): { listen: string; upstream: string } {
    const a = this._proxy.address;
    return { listen: a ? formatHostPort({ host: a.address, port: a.port }) : '', upstream: this._upstream };
  }

  addToxic(input: unknown): Toxic {
    return this._proxy.faults.add(input, this.name);
  }

  /** Requests already under way keep the toxic as it was; the next ones draw the new one. */
  updateToxic(name: string, input: unknown): Toxic | undefined {
    const changed = this._proxy.faults.update(name, input, this.name);
    return changed && copyToxic(changed.after.toxic);
  }

  removeToxic(name: string): boolean {
    return this._proxy.faults.remove(name);
  }

  removeAllToxics(): void {
    this._proxy.faults.clear();
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this._proxy.setDown(!enabled);
  }
}
