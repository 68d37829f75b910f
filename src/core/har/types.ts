/** The parts of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) we read and write. */
export interface HarNameValue {
  name: string;
  value: string;
}

export interface HarWebSocketMessage {
  type: 'send' | 'receive';
  /** Seconds since the epoch, as Chrome writes them. */
  time: number;
  opcode: number;
  data: string;
  _encoding?: 'base64';
  _size?: number;
  _truncated?: boolean;
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    headers: HarNameValue[];
    queryString: HarNameValue[];
    cookies: HarNameValue[];
    headersSize: number;
    bodySize: number;
    postData?: { mimeType: string; text: string; encoding?: string; _truncated?: boolean };
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    headers: HarNameValue[];
    cookies: HarNameValue[];
    content: { size: number; mimeType: string; text?: string; encoding?: string; _truncated?: boolean };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { blocked?: number; dns?: number; connect?: number; ssl?: number; send: number; wait: number; receive: number };
  connection?: string;
  serverIPAddress?: string;
  _protocol?: string;
  _error?: string | null;
  _webSocketMessages?: HarWebSocketMessage[];
}

export interface Har {
  log: {
    version: string;
    creator: { name: string; version: string };
    pages?: unknown[];
    entries: HarEntry[];
  };
}
