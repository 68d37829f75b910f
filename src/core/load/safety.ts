/** Where load may go: loopback targets only, unless the user said --allow-remote. */
import * as net from 'node:net';
import { InputError } from '../errors';

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || /^::ffff:127\./.test(h) || /^(0:){7}1$/.test(h);
  return false;
}

/** The target as a URL; refuses anything but http(s), and non-loopback hosts without `allowRemote`. */
export function checkTarget(target: string, allowRemote: boolean): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new InputError(`load target "${target}" is not a URL: write it as http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`load target "${target}" must be http:// or https:// (got ${url.protocol})`);
  }
  if (!allowRemote && !isLoopbackHost(url.hostname)) {
    throw new InputError(`load target ${url.host} is not a loopback address: pass --allow-remote to send load to another machine`);
  }
  return url;
}
