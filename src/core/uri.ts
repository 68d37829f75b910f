/**
 * Percent-decoding that cannot throw: a recorded path or query may hold a `%` that starts no escape (`/discount/50%`,
 * which Node's server accepts), and one such request must not stop a whole learn, replay or audit.
 */
export function decodeOrKeep(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
