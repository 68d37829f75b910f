/**
 * A small, dated end-of-life table (vendor and Docker Official Image lifecycles as of TABLE_DATE). It only knows
 * what ended by then; findings quote the date so a stale table is visible. No CVE claims: an old release is
 * outdated, whether it is vulnerable needs a scanner with an advisory database.
 */
import { parseImageRef } from './imageRef';

export const TABLE_DATE = '2025-01-31';

type Version = number[];

const parse = (v: string): Version => v.split('.').map((p) => Number.parseInt(p, 10)).filter((n) => Number.isFinite(n));

/** a < b, comparing as many parts as both have (1.18 < 1.24; 2.4.41 < 2.4.58). */
function older(a: Version, b: Version): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

const DEBIAN_EOL = new Set(['wheezy', 'jessie', 'stretch', 'buster']);
const UBUNTU_EOL_NAMES = new Set(['trusty', 'xenial', 'bionic']);

/** Official image → why a tag's release has ended, or null when it has not (or the tag says no version). */
const IMAGES: Record<string, (tag: string) => string | null> = {
  node: (t) => {
    const m = /^(\d+)(?:[.-]|$)/.exec(t);
    if (!m) return null;
    const major = Number(m[1]);
    return major < 18 || major === 19 || major === 21 ? `Node.js ${major} reached end of life` : null;
  },
  python: (t) => {
    const m = /^(\d+)\.(\d+)/.exec(t);
    if (!m) return null;
    return Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) <= 8) ? `Python ${m[1]}.${m[2]} reached end of life` : null;
  },
  debian: (t) => {
    const name = /^([a-z]+)/.exec(t)?.[1];
    const major = /^(\d+)/.exec(t)?.[1];
    if ((name && DEBIAN_EOL.has(name)) || (major && Number(major) <= 10)) return `Debian ${name ?? major} is out of (LTS) support`;
    return null;
  },
  ubuntu: (t) => {
    const name = /^([a-z]+)/.exec(t)?.[1];
    const v = /^(\d+\.\d+)/.exec(t)?.[1];
    if ((name && UBUNTU_EOL_NAMES.has(name)) || (v && older(parse(v), [20, 4]))) return `Ubuntu ${name ?? v} is out of standard support`;
    return null;
  },
  alpine: (t) => {
    const v = /^(\d+\.\d+)/.exec(t)?.[1];
    return v && older(parse(v), [3, 18]) ? `Alpine ${v} reached end of life` : null;
  },
  centos: () => 'CentOS Linux reached end of life (7 on 2024-06-30)',
  openjdk: () => 'the openjdk official image is deprecated (no updates since 2022); use eclipse-temurin or another maintained JDK',
  php: (t) => {
    const v = /^(\d+\.\d+)/.exec(t)?.[1];
    return v && older(parse(v), [8, 1]) ? `PHP ${v} reached end of life` : null;
  },
};

/** Debian or Alpine release named in a variant suffix (python:3.12-buster, node:20-alpine3.16). */
function variantEol(tag: string): string | null {
  const debian = /-(wheezy|jessie|stretch|buster)(?:-|$)/.exec(tag)?.[1];
  if (debian) return `its Debian ${debian} base is out of (LTS) support`;
  const alpine = /-alpine(\d+\.\d+)/.exec(tag)?.[1];
  if (alpine && older(parse(alpine), [3, 18])) return `its Alpine ${alpine} base reached end of life`;
  return null;
}

/** Why an image reference names an ended release, or null (unknown images and unversioned tags say nothing). */
export function imageEndOfLife(image: string): string | null {
  const ref = parseImageRef(image);
  const name = ref && /^docker\.io\/library\/([a-z0-9._-]+)$/.exec(ref.repository)?.[1];
  if (!ref || !name) return null;
  return IMAGES[name]?.(ref.tag) ?? variantEol(ref.tag);
}

/** Oldest maintained release per product a response header names (nginx 1.24 stable line, Apache 2.4.58, PHP 8.1, OpenSSL 3.0). */
const SERVER_MINIMUMS: Array<{ product: RegExp; name: string; minimum: Version }> = [
  { product: /^nginx$/i, name: 'nginx', minimum: [1, 24] },
  { product: /^apache$/i, name: 'Apache httpd', minimum: [2, 4, 58] },
  { product: /^php$/i, name: 'PHP', minimum: [8, 1] },
  { product: /^openssl$/i, name: 'OpenSSL', minimum: [3, 0] },
];

/** Products in a Server / X-Powered-By value older than the table's minimum: `Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f`. */
export function outdatedProducts(value: string): Array<{ product: string; version: string; minimum: string }> {
  const out: Array<{ product: string; version: string; minimum: string }> = [];
  for (const m of value.matchAll(/([A-Za-z][\w-]*)\/(\d+(?:\.\d+)+)/g)) {
    const row = SERVER_MINIMUMS.find((r) => r.product.test(m[1]));
    if (row && older(parse(m[2]), row.minimum)) out.push({ product: row.name, version: m[2], minimum: row.minimum.join('.') });
  }
  return out;
}
