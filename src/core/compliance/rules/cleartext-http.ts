import { isLoopbackUrl, originOf, perExchange, type Rule } from './rule';

export const cleartextHttp: Rule = {
  id: 'cleartext-http',
  check: 1,
  title: 'Cleartext HTTP to a non-loopback host',
  severity: 'high',
  remediation: 'Serve the API over HTTPS only (TLS 1.2+) and redirect or refuse plain HTTP; clients must call https:// URLs.',
  traffic: perExchange((ex) =>
    ex.url.startsWith('http://') && !isLoopbackUrl(ex.url)
      ? [{ key: originOf(ex.url), message: `${ex.method} ${ex.url} travelled unencrypted`, evidence: `scheme http, host ${new URL(ex.url).host}` }]
      : [],
  ),
};
