import type { Framework } from './types';

/**
 * The control mapping, one row per check of ../shared/COMPLIANCE-MATRIX.md (same numbers, same ids). FISMA and
 * FedRAMP both assess NIST SP 800-53 rev. 5; SOC 2 the Trust Services Criteria; HIPAA the Security Rule (45 CFR
 * 164.3xx); PCI-DSS v4.0 requirements. Each rule names the check it implements (`check` in rules/*.ts); this table
 * is the one place to review and correct a mapping.
 */
export interface MatrixCheck {
  check: number;
  name: string;
  nist: string[];
  soc2: string[];
  hipaa: string[];
  pci: string[];
}

export const MATRIX: readonly MatrixCheck[] = [
  { check: 1, name: 'Cleartext HTTP to a non-loopback host', nist: ['SC-8', 'SC-8(1)', 'SC-23', 'AC-17(2)'], soc2: ['CC6.7'], hipaa: ['164.312(e)(1)', '164.312(e)(2)(i)'], pci: ['4.2.1'] },
  { check: 2, name: 'HSTS missing, disabled or malformed', nist: ['SC-8(1)', 'SC-23'], soc2: ['CC6.7'], hipaa: ['164.312(e)(1)'], pci: ['4.2.1'] },
  { check: 3, name: 'Deprecated TLS or weak ciphers', nist: ['SC-8(1)', 'SC-23(5)'], soc2: [], hipaa: ['164.312(e)(1)'], pci: ['4.2.1', '4.2.1.1'] },
  { check: 4, name: 'Certificate expiring or untrusted', nist: ['SC-12'], soc2: ['CC6.7'], hipaa: ['164.312(e)(1)'], pci: ['4.2.1.1'] },
  { check: 5, name: 'Credentials sent over cleartext HTTP', nist: ['IA-5(1)(c)', 'SC-8(1)'], soc2: ['CC6.7'], hipaa: ['164.312(e)(1)'], pci: ['8.3.2'] },
  { check: 6, name: 'Cookie missing Secure, HttpOnly or SameSite', nist: ['SC-8', 'SC-23'], soc2: ['CC6.7'], hipaa: ['164.312(e)(1)'], pci: ['6.2.4'] },
  { check: 7, name: 'No CSP, nosniff or frame protection', nist: [], soc2: [], hipaa: [], pci: ['6.2.4'] },
  { check: 8, name: 'Version or stack-trace disclosure', nist: ['SI-11(a)'], soc2: [], hipaa: [], pci: ['6.2.4'] },
  { check: 9, name: 'Card number (PAN) shown unmasked', nist: ['SC-28(1)'], soc2: [], hipaa: [], pci: ['3.4.1', '3.5.1'] },
  { check: 10, name: 'CVV/track/PIN returned after authorisation', nist: [], soc2: [], hipaa: [], pci: ['3.3.1', '3.3.2'] },
  { check: 11, name: 'SSN or other identifier in a URL', nist: ['SC-8'], soc2: [], hipaa: ['164.312(e)(1)'], pci: [] },
  { check: 12, name: 'Authentication not enforced', nist: ['AC-3', 'AC-6'], soc2: ['CC6.1'], hipaa: ['164.312(a)(1)'], pci: ['7.2.1', '7.3.1'] },
  { check: 13, name: 'Cross-tenant access (IDOR)', nist: ['AC-3', 'AC-6'], soc2: ['CC6.3'], hipaa: ['164.312(a)(1)'], pci: ['7.2.1', '7.2.2'] },
  { check: 14, name: 'No lockout or 429 after repeated 401s', nist: ['AC-7'], soc2: [], hipaa: ['164.308(a)(5)(ii)(C)'], pci: ['8.3.4'] },
  { check: 15, name: 'Session or token lifetime over 15 minutes', nist: ['AC-12'], soc2: [], hipaa: [], pci: ['8.2.8'] },
  { check: 16, name: 'No access or audit logging', nist: ['AU-2(b)', 'AU-3', 'AU-12'], soc2: ['CC7.2', 'CC7.3'], hipaa: ['164.312(b)'], pci: ['10.2.1', '10.2.2'] },
  { check: 17, name: 'Log retention too short', nist: ['AU-11'], soc2: ['CC7.2', 'C1.2'], hipaa: ['164.312(b)'], pci: ['10.5.1'] },
  { check: 18, name: 'Container runs as root', nist: ['AC-6'], soc2: ['CC6.3'], hipaa: ['164.312(a)(1)'], pci: ['7.2.1', '7.2.2'] },
  { check: 19, name: 'Privileged container, privilege escalation or added capabilities', nist: ['AC-6'], soc2: ['CC6.3'], hipaa: ['164.312(a)(1)'], pci: ['7.2.1', '7.2.2', '7.2.3'] },
  { check: 20, name: 'Host network, PID or IPC namespace, or hostPort', nist: ['SC-7'], soc2: ['CC6.6'], hipaa: [], pci: ['1.3.1', '1.3.2', '1.4.1'] },
  { check: 21, name: 'Secrets in environment or config', nist: ['IA-5'], soc2: [], hipaa: [], pci: ['3.5.1', '8.2.2', '8.3.2'] },
  { check: 22, name: 'TLS verification disabled', nist: ['SC-8(1)', 'SC-23'], soc2: ['CC6.7'], hipaa: ['164.312(e)(1)'], pci: ['4.2.1'] },
  { check: 23, name: 'Unsigned packages', nist: ['SI-7'], soc2: [], hipaa: ['164.312(c)(1)'], pci: [] },
  { check: 24, name: 'Unpinned container image', nist: ['CM-2'], soc2: ['CC8.1'], hipaa: [], pci: [] },
  { check: 25, name: 'SSH exposed', nist: ['SC-7(a)', 'AC-17(b)'], soc2: ['CC6.6'], hipaa: ['164.312(e)(1)'], pci: ['1.3.1', '1.4.2'] },
  { check: 26, name: 'Outdated or vulnerable components', nist: ['SI-2(c)', 'CM-8'], soc2: ['CC7.1'], hipaa: ['164.308(a)(5)(ii)(B)'], pci: ['6.3.3', '11.3.1'] },
  { check: 27, name: 'No encryption at rest', nist: ['SC-28(1)', 'SC-13(a)'], soc2: ['PI1.5'], hipaa: ['164.312(a)(2)(iv)'], pci: ['3.5.1'] },
  { check: 28, name: 'RBAC wildcard or cluster-admin', nist: ['AC-6', 'AC-3'], soc2: ['CC6.3'], hipaa: ['164.312(a)(1)'], pci: ['7.2.1', '7.2.2', '7.2.3'] },
  { check: 29, name: 'No WAF in front of a public API', nist: ['AC-4(21)'], soc2: [], hipaa: [], pci: ['6.4.1', '6.4.2'] },
  { check: 30, name: '5xx rate or latency SLO breach', nist: ['SC-5'], soc2: ['A1.2', 'CC7.2'], hipaa: ['164.308(a)(7)(i)'], pci: [] },
  { check: 31, name: 'No health probes or resource limits', nist: ['SC-6'], soc2: ['A1.2'], hipaa: [], pci: [] },
];

/**
 * NIST controls of the matrix outside the FedRAMP Moderate baseline (our reading of NIST SP 800-53B and the
 * FedRAMP rev. 5 Moderate baseline): they count for FISMA, not FedRAMP Moderate.
 */
export const NOT_IN_FEDRAMP_MODERATE: ReadonlySet<string> = new Set(['SC-23(5)', 'SC-6']);

export function checkOf(n: number): MatrixCheck {
  const c = MATRIX.find((m) => m.check === n);
  if (!c) throw new Error(`compliance matrix has no check ${n}`);
  return c;
}

/** The control ids a check maps to in one framework. */
export function controlsFor(check: MatrixCheck, framework: Framework): string[] {
  switch (framework) {
    case 'fisma': return check.nist;
    case 'fedramp': return check.nist.filter((c) => !NOT_IN_FEDRAMP_MODERATE.has(c));
    case 'soc2': return check.soc2;
    case 'hipaa': return check.hipaa;
    case 'pci-dss': return check.pci;
  }
}

export const FRAMEWORK_NAMES: Record<Framework, string> = {
  fisma: 'FISMA (NIST SP 800-53 rev. 5)',
  fedramp: 'FedRAMP Moderate (NIST SP 800-53 rev. 5)',
  soc2: 'SOC 2 (Trust Services Criteria)',
  hipaa: 'HIPAA Security Rule (45 CFR 164.3xx)',
  'pci-dss': 'PCI-DSS v4.0',
};
