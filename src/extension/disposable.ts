/** Owns disposables; `_register` returns its argument so registration reads inline. Dispose is idempotent. */
export interface Disposable {
  dispose(): unknown;
}

export class DisposableBase implements Disposable {
  private _disposables: Disposable[] = [];
  private _isDisposed = false;

  protected _register<T extends Disposable>(d: T): T {
    if (this._isDisposed) d.dispose();
    else this._disposables.push(d);
    return d;
  }

  dispose(): void {
    if (this._isDisposed) return;
    this._isDisposed = true;
    for (const d of this._disposables.splice(0).reverse()) d.dispose();
  }
}
