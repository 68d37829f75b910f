import { header, isLoopbackUrl, originOf, perExchange, type Rule } from './rule';

const PASSWORD_FIELD = /["']?(password|passwd|pwd|client_secret)["']?\s*[:=]/i;

export const credentialsOverHttp: Rule = {
  id: 'credentials-over-http',
  check: 5,
  title: 'Credentials sent over cleartext HTTP',
  severity: 'high',
  remediation: 'Send credentials (Authorization headers, passwords, client secrets) only over HTTPS; refuse them on plain HTTP.',
  traffic: perExchange((ex) => {
    if (!ex.url.startsWith('http://') || isLoopbackUrl(ex.url)) return [];
    const auth = header(ex.requestHeaders, 'authorization');
    const what = auth !== undefined ? `Authorization ${auth.split(' ')[0]} header` : PASSWORD_FIELD.test(ex.requestBody) ? `a ${PASSWORD_FIELD.exec(ex.requestBody)![1]} field in the body` : null;
    if (!what) return [];
    const path = new URL(ex.url).pathname;
    return [{ key: `${originOf(ex.url)}${path}`, message: `${ex.method} ${ex.url} sent ${what} unencrypted`, evidence: `${what} (value not shown)` }];
  }),
};
