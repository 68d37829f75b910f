import { templatePath } from '../../learn/pathTemplate';

/** `METHOD origin/template` of an exchange: /orders/42 and /orders/7 are one endpoint. */
export function endpointOf(method: string, url: string): string {
  try {
    const u = new URL(url);
    return `${method.toUpperCase()} ${u.origin}${templatePath(u.pathname)}`;
  } catch {
    return `${method.toUpperCase()} ${url}`;
  }
}
