import { parseDockerfile } from '../detect/dockerfile';
import type { Hit, Rule } from './rule';

/**
 * Package-manager switches that install without checking signatures (Checkov CKV2_DOCKER_7–11). pip
 * `--trusted-host` and npm `strict-ssl false` turn TLS verification off: tls-verify-disabled reports those.
 */
const UNSIGNED: Array<[RegExp, string]> = [
  [/--allow-unauthenticated\b|APT::Get::AllowUnauthenticated=(?:true|1)\b/i, 'apt installs unauthenticated packages'],
  [/--allow-insecure-repositories\b|Acquire::AllowInsecureRepositories=(?:true|1)\b|\[trusted=yes\]/i, 'apt accepts unsigned repositories'],
  [/--nogpgcheck\b|\bgpgcheck\s*=\s*(?:0|false|no)\b/i, 'yum/dnf skip the GPG signature check'],
  [/--nosignature\b/i, 'rpm skips the signature check'],
  [/--allow-untrusted\b/i, 'apk installs packages with untrusted signatures'],
];

export const unsignedPackages: Rule = {
  id: 'unsigned-packages',
  check: 23,
  title: 'Packages installed without signature verification',
  severity: 'high',
  remediation: 'Drop `--allow-unauthenticated`, `--allow-insecure-repositories`, `--nogpgcheck`, `rpm --nosignature` and `apk --allow-untrusted`; import the repository\'s signing key (apt `signed-by=`, `rpm --import`, apk keys) so every package is verified.',
  files: {
    kinds: ['dockerfile'],
    scan(file) {
      const lines = file.text.split(/\r?\n/);
      const hits: Hit[] = [];
      for (const ins of parseDockerfile(file.text).filter((i) => i.keyword === 'RUN')) {
        for (let n = ins.line; n <= ins.endLine; n++) {
          const text = lines[n - 1] ?? '';
          if (text.trim().startsWith('#')) continue;
          for (const [re, what] of UNSIGNED) {
            const m = re.exec(text);
            if (!m) continue;
            hits.push({
              message: `${file.path}: ${what} (${m[0]})`,
              evidence: text.trim().slice(0, 100),
              at: { line: n, column: m.index + 1, endLine: n, endColumn: m.index + m[0].length + 1 },
            });
          }
        }
      }
      return hits;
    },
  },
};
