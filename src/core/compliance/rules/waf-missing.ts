import { isMap, type Document } from 'yaml';
import { entry, mapsIn, rangeOf, scalar, yamlOf, type YamlFile } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { lineAt, type Hit, type Rule } from './rule';

/** Annotations that put a WAF in front of an Ingress (ModSecurity, AWS WAFv2/classic, Azure Application Gateway WAF). */
const WAF_ANNOTATION = /^(nginx\.ingress\.kubernetes\.io\/(enable-modsecurity|enable-owasp-core-rules|modsecurity-snippet)|alb\.ingress\.kubernetes\.io\/(wafv2-acl-arn|waf-acl-id)|appgw\.ingress\.kubernetes\.io\/waf-policy-for-path|azure\.application-gateway\/waf-policy-id)$/;
const INTERNAL_HOST = /(^|\.)(localhost|local|internal|lan|corp|intranet|svc|cluster\.local)$/i;

function annotations(doc: Document.Parsed): Map<string, string> {
  const a = doc.getIn(['metadata', 'annotations'], true);
  const out = new Map<string, string>();
  if (isMap(a)) for (const p of a.items) out.set(String(scalar(p.key) ?? ''), String(scalar(p.value) ?? ''));
  return out;
}

/** An Ingress only reachable inside the network: internal load balancer scheme, a private class, private IPs. */
function internal(doc: Document.Parsed, a: Map<string, string>): boolean {
  const cls = `${String(doc.getIn(['spec', 'ingressClassName']) ?? '')} ${a.get('kubernetes.io/ingress.class') ?? ''}`;
  return a.get('alb.ingress.kubernetes.io/scheme') === 'internal' || /internal|private/i.test(cls)
    || a.get('appgw.ingress.kubernetes.io/use-private-ip') === 'true' || /^internal$/i.test(a.get('cloud.google.com/load-balancer-type') ?? '');
}

/** Cloud Armor: a BackendConfig with a securityPolicy in the same file protects the GCE Ingress next to it. */
function cloudArmor(y: YamlFile): boolean {
  return y.docs.some((d) => d.get('kind') === 'BackendConfig' && d.getIn(['spec', 'securityPolicy', 'name']) !== undefined);
}

function ingresses(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const hits: Hit[] = [];
  for (const doc of y.docs.filter((d) => d.get('kind') === 'Ingress')) {
    const a = annotations(doc);
    if (internal(doc, a) || [...a.keys()].some((k) => WAF_ANNOTATION.test(k) && !/^(false|off|)$/i.test(a.get(k) ?? ''))) continue;
    if (cloudArmor(y) && /gce/.test(a.get('kubernetes.io/ingress.class') ?? 'gce')) continue;
    const hosts = mapsIn(doc.getIn(['spec', 'rules'], true)).map((r) => String(scalar(entry(r, 'host')?.value) ?? '*'));
    const publicHosts = (hosts.length ? hosts : ['*']).filter((h) => !INTERNAL_HOST.test(h));
    if (!publicHosts.length) continue;
    const name = String(doc.getIn(['metadata', 'name']) ?? '?');
    hits.push({
      message: `${file.path}: Ingress ${name} serves ${publicHosts.join(', ')} with no WAF (no ModSecurity, AWS WAF, Cloud Armor or Application Gateway WAF policy)`,
      evidence: `Ingress ${name}: hosts ${publicHosts.join(', ')}; no WAF annotation`,
      at: rangeOf(y, entry(doc.get('metadata', true), 'name')?.value),
    });
  }
  return hits;
}

/** nginx as the public reverse proxy: a server with proxy_pass and a public server_name, and no `modsecurity on`. */
function nginx(file: WorkspaceFile): Hit[] {
  if (/^\s*modsecurity\s+on\s*;/m.test(file.text) || !/^\s*proxy_pass\s/m.test(file.text)) return [];
  const lines = file.text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^\s*server_name\s/.test(l));
  if (at === -1) return [];
  const names = lines[at].trim().replace(/^server_name\s+|;$/g, '').split(/\s+/).filter((n) => n !== '_' && !INTERNAL_HOST.test(n) && !/^\d+\.\d+\.\d+\.\d+$/.test(n));
  if (!names.length) return [];
  return [{ message: `${file.path}: nginx proxies ${names.join(', ')} with no WAF (modsecurity is not on)`, evidence: `server_name ${names.join(' ')}; proxy_pass without modsecurity on`, at: lineAt(file.text, at + 1) }];
}

export const wafMissing: Rule = {
  id: 'waf-missing',
  check: 29,
  title: 'No WAF in front of a public API',
  severity: 'medium',
  remediation: 'Put a web application firewall in front of public endpoints: ModSecurity with the OWASP Core Rule Set (`nginx.ingress.kubernetes.io/enable-modsecurity: "true"`, `modsecurity on;`), AWS WAF (`alb.ingress.kubernetes.io/wafv2-acl-arn`), Cloud Armor (BackendConfig securityPolicy) or an Application Gateway WAF policy (PCI DSS 6.4.1, 6.4.2).',
  files: { kinds: ['kubernetes', 'nginx'], scan: (file) => (file.kind === 'nginx' ? nginx(file) : ingresses(file)) },
};
