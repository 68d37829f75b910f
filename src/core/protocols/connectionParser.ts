/**
 * One connection's parser as a capture runs it: a parser that throws is dropped for that connection, and why is
 * recorded as a call of its own (method PARSER), so the bytes keep flowing and the store says what was not parsed.
 * The inline tap (wireCapture.ts) and the decoder worker (wireDecoder.ts) both run parsers through this.
 */
import type { WireCall, WireParser, WireProtocolDefinition } from './types';

export interface ConnectionParserHooks {
  now(): number;
  emit(call: WireCall): void;
  /** The parser threw and was turned off for this connection (its PARSER call is emitted as well). */
  failed?(): void;
  options?: Record<string, unknown>;
}

export class ConnectionParser {
  private _parser: WireParser | undefined;

  constructor(private readonly _definition: WireProtocolDefinition, private readonly _hooks: ConnectionParserHooks) {
    try {
      this._parser = _definition.createParser({ now: _hooks.now, emit: _hooks.emit, options: _hooks.options });
    } catch (e) {
      this._fail('start', e);
    }
  }

  client(chunk: Buffer): void {
    try {
      this._parser?.client(chunk);
    } catch (e) {
      this._fail('client', e);
    }
  }

  server(chunk: Buffer): void {
    try {
      this._parser?.server(chunk);
    } catch (e) {
      this._fail('server', e);
    }
  }

  end(): void {
    const p = this._parser;
    this._parser = undefined;
    try {
      p?.end();
    } catch (e) {
      this._fail('end', e);
    }
  }

  private _fail(where: string, e: unknown): void {
    this._parser = undefined;
    this._hooks.failed?.();
    const at = this._hooks.now();
    this._hooks.emit({ startedAt: at, ttfbMs: null, durationMs: null, method: 'PARSER', statement: `${this._definition.name} parser stopped`, status: null, error: `parser failed on the ${where} side and was turned off for this connection: ${(e as Error)?.message ?? String(e)}` });
  }
}
