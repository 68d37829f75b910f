import { shannonEntropy } from './entropy';

/**
 * Secrets the way gitleaks finds them: one regex per kind, run only when one of its keywords is in the text, a
 * Shannon-entropy floor for generic keys, and an allow-list of published test keys and placeholders.
 */
interface SecretKind {
  kind: string;
  keywords: string[];
  pattern: RegExp;
  /** Capture group holding the secret (default 0). */
  group?: number;
  minEntropy?: number;
}

const KINDS: readonly SecretKind[] = [
  { kind: 'AWS access key id', keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'], pattern: /\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/g, group: 1 },
  { kind: 'private key', keywords: ['private key'], pattern: /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g },
  { kind: 'GitHub token', keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'], pattern: /\b((?:ghp|gho|ghu|ghs|ghr)_[0-9A-Za-z]{36}|github_pat_\w{82})\b/g, group: 1 },
  { kind: 'Stripe live key', keywords: ['sk_live', 'rk_live'], pattern: /\b((?:sk|rk)_live_[0-9A-Za-z]{10,99})\b/g, group: 1 },
  { kind: 'Slack token', keywords: ['xox'], pattern: /\b(xox[baprs]-[0-9A-Za-z-]{10,})\b/g, group: 1 },
  { kind: 'JSON Web Token', keywords: ['eyj'], pattern: /\b(ey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})\b/g, group: 1, minEntropy: 3 },
  {
    kind: 'generic API key',
    keywords: ['key', 'secret', 'token', 'passw', 'pwd', 'credential', 'auth'],
    pattern: /(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|credential|auth[_-]?key)[\w.-]{0,20}["']?\s*[:=]\s*["']?([0-9A-Za-z+/=_\-.~]{16,128})["']?/gi,
    group: 1,
    minEntropy: 3.5,
  },
];

/** Published examples (AWS documentation keys) and placeholders: never reported. */
const ALLOWED = new Set(['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AKIAI44QH8DHBEXAMPLE']);
const PLACEHOLDER = /^(?:changeme|change[_-]?me|example|sample|dummy|placeholder|redacted|secret|password|test|todo|fixme|none|null|x+|\*+|\.+)$|example|placeholder|your[_-]|<[^>]*>|\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|^\$\w+$|REDACTED/i;

export function isPlaceholder(value: string): boolean {
  return ALLOWED.has(value) || PLACEHOLDER.test(value) || /^(.)\1+$/.test(value);
}

export interface SecretHit {
  kind: string;
  index: number;
  value: string;
}

export function findSecrets(text: string): SecretHit[] {
  const lower = text.toLowerCase();
  const hits: SecretHit[] = [];
  const taken: Array<[number, number]> = [];
  for (const k of KINDS) {
    if (!k.keywords.some((w) => lower.includes(w))) continue;
    for (const m of text.matchAll(k.pattern)) {
      const value = m[k.group ?? 0];
      const index = m.index + m[0].indexOf(value);
      if (isPlaceholder(value) || isReference(value)) continue;
      if (k.minEntropy !== undefined && shannonEntropy(value) < k.minEntropy) continue;
      if (taken.some(([a, b]) => index < b && index + value.length > a)) continue;
      taken.push([index, index + value.length]);
      hits.push({ kind: k.kind, index, value });
    }
  }
  return hits.sort((a, b) => a.index - b.index);
}

/** A config key that names a secret (PASSWORD, API_KEY, CLIENT_SECRET...). */
export const SECRET_NAME = /(passw(or)?d|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)/i;

/** A path or URL names where the secret lives (PASSWORD_FILE=/run/secrets/db), not the secret. */
function isReference(v: string): boolean {
  return /^(\.{0,2}\/|[a-z][\w+.-]*:\/\/)/i.test(v);
}

/** A literal value under a secret-named key: not empty, a placeholder or a reference to somewhere else. */
export function isLiteralSecret(value: string): boolean {
  const v = value.trim().replace(/^["']|["']$/g, '');
  return v.length >= 6 && !isPlaceholder(v) && !/^(true|false|\d+)$/i.test(v) && !isReference(v);
}
