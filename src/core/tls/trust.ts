/** How to make clients trust the local CA: one entry per client family, shared by `ca show` and the editor. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { LocalCa } from './ca';

export interface TrustStep {
  client: string;
  /** Shell lines to run (the first is the one to copy). */
  commands: string[];
  note?: string;
}

/** The certifi bundle of `python3`, if certifi is installed (it is what requests uses by default). */
export function certifiBundle(): string | undefined {
  const r = spawnSync('python3', ['-m', 'certifi'], { encoding: 'utf8', timeout: 5_000 });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return out && !out.includes('\n') ? out : undefined;
}

const q = (p: string): string => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

export function trustSteps(ca: LocalCa, options: { certifi?: string } = {}): TrustStep[] {
  const crt = q(ca.certPath);
  const combined = q(path.join(ca.dir, 'bundle.pem'));
  const pythonBundle = options.certifi
    ? [`cat ${q(options.certifi)} ${crt} > ${combined}`, `export REQUESTS_CA_BUNDLE=${combined}`]
    : [`export REQUESTS_CA_BUNDLE=${crt}`];
  return [
    { client: 'Node.js', commands: [`export NODE_EXTRA_CA_CERTS=${crt}`], note: 'Added to the built-in roots; read when node starts.' },
    {
      client: 'Python (requests, httpx)',
      commands: pythonBundle,
      note: options.certifi
        ? 'REQUESTS_CA_BUNDLE replaces the default bundle, so this combines certifi\'s roots with the local CA.'
        : 'REQUESTS_CA_BUNDLE replaces the default bundle: only the local CA is trusted (combine it with certifi\'s, `python3 -m certifi`, for other hosts). httpx reads SSL_CERT_FILE.',
    },
    { client: 'curl', commands: [`curl --cacert ${crt} https://…`] },
    {
      client: 'Go',
      commands: [`cat /etc/ssl/certs/ca-certificates.crt ${crt} > ${combined}`, `export SSL_CERT_FILE=${combined}`],
      note: 'SSL_CERT_FILE replaces the system roots (Linux, BSD): point it at a bundle that has both.',
    },
    {
      client: 'Java',
      commands: [`keytool -importcert -noprompt -keystore "$JAVA_HOME/lib/security/cacerts" -storepass changeit -alias chaos-testing -file ${crt}`],
      note: 'Or a keystore of your own, given with -Djavax.net.ssl.trustStore=….',
    },
    { client: 'Debian / Ubuntu (system)', commands: [`sudo cp ${crt} /usr/local/share/ca-certificates/chaos-testing.crt`, 'sudo update-ca-certificates'] },
    { client: 'macOS (system)', commands: [`sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${crt}`] },
    { client: 'Windows (system)', commands: [`certutil -addstore -f Root ${ca.certPath}`], note: 'From an administrator prompt.' },
  ];
}

/** The CA and the steps as text (the CLI) or Markdown (the editor). */
export function trustText(ca: LocalCa, steps: TrustStep[], markdown: boolean): string {
  const out: string[] = [];
  const expires = ca.notAfter.toISOString().slice(0, 10);
  if (markdown) {
    out.push('# Chaos Testing: capture certificate', '', `- Certificate: \`${ca.certPath}\``, `- SHA-256: \`${ca.fingerprint256}\``, `- Expires: ${expires}`, '');
    out.push('Trust it only where you capture: anyone with its key (`ca.key`, kept beside it and out of git) can impersonate any site to a client that trusts it.', '');
    for (const s of steps) {
      out.push(`## ${s.client}`, '', '```sh', ...s.commands, '```', '');
      if (s.note) out.push(s.note, '');
    }
    return out.join('\n');
  }
  out.push(`certificate  ${ca.certPath}`, `sha256       ${ca.fingerprint256}`, `expires      ${expires}`, '', 'Trust it (only where you capture):');
  for (const s of steps) {
    out.push(`  ${s.client}:`, ...s.commands.map((c) => `    ${c}`));
    if (s.note) out.push(`    # ${s.note}`);
  }
  return out.join('\n');
}

/**
 * One shell line that points a terminal's clients at a forward proxy: HTTPS_PROXY and HTTP_PROXY, and with
 * interception NODE_EXTRA_CA_CERTS (Node's extra roots; the other clients' variables are in trustSteps).
 */
export function proxyEnvLine(proxyUrl: string, caCert?: string): string {
  const vars = [`HTTPS_PROXY=${q(proxyUrl)}`, `HTTP_PROXY=${q(proxyUrl)}`];
  if (caCert) vars.push(`NODE_EXTRA_CA_CERTS=${q(caCert)}`);
  return `export ${vars.join(' ')}`;
}
