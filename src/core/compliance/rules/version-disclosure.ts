import { header, originOf, perExchange, type Rule } from './rule';

/** Header values that name a product version: nginx/1.18.0, Apache/2.4.41 (Ubuntu), PHP/8.1, Express... */
export function versionIn(name: string, value: string): string | null {
  if (name === 'server') return /\d+\.\d+/.test(value) ? value : null;
  return value.trim() ? value : null;
}

export const versionDisclosure: Rule = {
  id: 'version-disclosure',
  check: 8,
  title: 'Server or framework version disclosed in headers',
  severity: 'low',
  remediation: 'Stop announcing versions: `server_tokens off` (nginx), `ServerTokens Prod` (Apache), `app.disable(\'x-powered-by\')` (Express); drop X-Powered-By and X-AspNet-Version.',
  traffic: perExchange((ex) => {
    const shown: string[] = [];
    for (const name of ['server', 'x-powered-by', 'x-aspnet-version', 'x-aspnetmvc-version']) {
      const v = header(ex.responseHeaders, name);
      if (v !== undefined && versionIn(name, v)) shown.push(`${name}: ${v}`);
    }
    if (!shown.length) return [];
    return [{ key: `${originOf(ex.url)} ${shown.join(',')}`, message: `${originOf(ex.url)} discloses ${shown.join('; ')}`, evidence: shown.join('; ') }];
  }),
};
