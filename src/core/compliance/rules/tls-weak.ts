import { lineHits, type Rule } from './rule';

const DEPRECATED = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);
/** Cipher name parts that mean a broken or export-grade suite. */
export const WEAK_CIPHER = /RC4|DES|NULL|EXPORT|EXP-|MD5|anon|ADH|AECDH|PSK-NULL/i;

export const tlsWeak: Rule = {
  id: 'tls-weak',
  check: 3,
  title: 'Deprecated TLS version or weak cipher',
  severity: 'high',
  remediation: 'Accept only TLS 1.2 and 1.3 with AEAD ciphers: nginx `ssl_protocols TLSv1.2 TLSv1.3;` and no RC4/3DES/NULL/EXPORT suites.',
  tls: (p) => {
    if (p.error || !p.protocol) return [];
    const problems = [DEPRECATED.has(p.protocol) ? `${p.protocol} (deprecated)` : '', p.cipher && WEAK_CIPHER.test(p.cipher) ? `weak cipher ${p.cipher}` : ''].filter(Boolean);
    return problems.length ? [{ key: p.target, message: `${p.target} accepted ${problems.join(' and ')}`, evidence: `${p.protocol} ${p.cipher ?? ''}`.trim() }] : [];
  },
  files: {
    kinds: ['nginx'],
    scan: (file) => [
      ...lineHits(file.text, /^\s*ssl_protocols\s+([^;#]*)/, (m) => {
        const old = m[1].split(/\s+/).filter((v) => DEPRECATED.has(v));
        return old.length ? { message: `${file.path} enables ${old.join(', ')}`, evidence: `ssl_protocols ${m[1].trim()}` } : null;
      }),
      ...lineHits(file.text, /^\s*ssl_ciphers\s+['"]?([^;'"#]*)/, (m) => {
        const weak = m[1].split(':').filter((c) => !c.startsWith('!') && !c.startsWith('-') && WEAK_CIPHER.test(c));
        return weak.length ? { message: `${file.path} allows ${weak.join(', ')}`, evidence: `ssl_ciphers includes ${weak.join(', ')}` } : null;
      }),
    ],
  },
};
