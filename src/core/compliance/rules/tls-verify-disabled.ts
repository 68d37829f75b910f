import { lineHits, type Rule } from './rule';

const PATTERNS = /(\bcurl\b[^\n]*\s(?:-k|--insecure)\b|\bwget\b[^\n]*--no-check-certificate|--trusted-host\b|http\.sslVerify\s*=?\s*false|strict-ssl\s*=?\s*false|NODE_TLS_REJECT_UNAUTHORIZED["']?\s*[:=]?\s*["']?0|PYTHONHTTPSVERIFY["']?\s*[:=]?\s*["']?0|GIT_SSL_NO_VERIFY["']?\s*[:=]?\s*["']?(?:1|true))/i;

export const tlsVerifyDisabled: Rule = {
  id: 'tls-verify-disabled',
  check: 22,
  title: 'TLS certificate verification disabled',
  severity: 'high',
  remediation: 'Keep certificate verification on: drop `curl -k`, `wget --no-check-certificate`, `--trusted-host`, NODE_TLS_REJECT_UNAUTHORIZED=0; add the internal CA to the trust store instead.',
  files: {
    kinds: ['dockerfile', 'env', 'kubernetes', 'compose'],
    scan: (file) => lineHits(file.text, PATTERNS, (m) => ({ message: `${file.path} turns TLS verification off (${m[1].trim().slice(0, 60)})`, evidence: m[1].trim().slice(0, 80) })),
  },
};
