/** Masking for evidence: nothing an audit prints may leak what it found. */

/** PCI DSS 3.4.1: at most the first 6 and last 4 digits. */
export function maskPan(digits: string): string {
  return `${digits.slice(0, 6)}${'*'.repeat(Math.max(0, digits.length - 10))}${digits.slice(-4)}`;
}

export function maskSsn(digits: string): string {
  return `***-**-${digits.slice(-4)}`;
}

/** A secret is never printed, not even in part: its kind and length only. */
export function describeSecret(kind: string, value: string): string {
  return `${kind} (${value.length} characters, value not shown)`;
}
