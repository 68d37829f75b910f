import { perExchange, type Rule } from './rule';

/** Stack traces of common runtimes: Node/JS, Python, Java/.NET, PHP, Go, Ruby. */
const TRACES: ReadonlyArray<[string, RegExp]> = [
  ['JavaScript', /\n?\s+at (?:[\w$.<>]+ )?\(?(?:\/|[A-Za-z]:\\|file:|node:)[^\s)]+:\d+:\d+\)?/],
  ['Python', /Traceback \(most recent call last\):/],
  ['Java', /\bat [\w$.]+\([\w$]+\.java:\d+\)/],
  ['.NET', /\bat [\w.`<>]+\(.*\) in .+:line \d+/],
  ['PHP', /(?:PHP (?:Fatal|Parse) error|Stack trace:\s*#0 )/],
  ['Go', /goroutine \d+ \[running\]:/],
  ['Ruby', /\.rb:\d+:in `/],
];

export const stackTraceDisclosure: Rule = {
  id: 'stack-trace-disclosure',
  check: 8,
  title: 'Stack trace in a response body',
  severity: 'medium',
  remediation: 'Return a generic error body (an id the logs can find) and log the stack trace server-side; turn off debug error pages in production.',
  traffic: perExchange((ex) => {
    const found = TRACES.find(([, re]) => re.test(ex.responseBody));
    if (!found) return [];
    const path = (() => { try { return new URL(ex.url).pathname; } catch { return ex.url; } })();
    return [{ key: `${ex.method} ${path}`, message: `${ex.method} ${ex.url} (${ex.status ?? 'no status'}) returned a ${found[0]} stack trace`, evidence: `${found[0]} stack trace in the response body` }];
  }),
};
