import { parseDockerfile } from '../detect/dockerfile';
import { imageEndOfLife, outdatedProducts, TABLE_DATE } from '../detect/endOfLife';
import { composeServices, entry, podSpecs, rangeOf, scalar, yamlOf } from '../detect/yamlDocs';
import type { WorkspaceFile } from '../workspace';
import { header, lineAt, originOf, perExchange, type Hit, type Rule } from './rule';

function dockerfile(file: WorkspaceFile): Hit[] {
  return parseDockerfile(file.text).filter((i) => i.keyword === 'FROM').flatMap((i) => {
    const image = i.args.split(/\s+/).filter((p) => !p.startsWith('--'))[0] ?? '';
    const why = imageEndOfLife(image);
    return why ? [{ message: `${file.path}: FROM ${image.split('@')[0]}: ${why} (end-of-life table of ${TABLE_DATE})`, evidence: `FROM ${image}`, at: lineAt(file.text, i.line) }] : [];
  });
}

function yamlImages(file: WorkspaceFile): Hit[] {
  const y = yamlOf(file);
  const images = [...podSpecs(y).flatMap((p) => p.containers.map((c) => entry(c, 'image'))), ...composeServices(y).map((s) => entry(s.service, 'image'))];
  return images.flatMap((e) => {
    const image = e ? scalar(e.value) : undefined;
    const why = typeof image === 'string' ? imageEndOfLife(image) : null;
    return why && e ? [{ message: `${file.path}: image ${(image as string).split('@')[0]}: ${why} (end-of-life table of ${TABLE_DATE})`, evidence: `image: ${image as string}`, at: rangeOf(y, e.value) }] : [];
  });
}

export const outdatedComponent: Rule = {
  id: 'outdated-component',
  check: 26,
  title: 'Outdated component (end-of-life base image or server version)',
  severity: 'medium',
  remediation: 'Move to a maintained release (a supported Node.js/Python LTS, Debian 12, Ubuntu 22.04+, Alpine 3.18+, eclipse-temurin instead of openjdk; nginx 1.24+, Apache 2.4.58+, PHP 8.1+), rebuild regularly, and scan images for known vulnerabilities (PCI DSS 6.3.3, 11.3.1; NIST SI-2).',
  files: { kinds: ['dockerfile', 'kubernetes', 'compose'], scan: (file) => (file.kind === 'dockerfile' ? dockerfile(file) : yamlImages(file)) },
  traffic: perExchange((ex) => {
    const hits: Hit[] = [];
    for (const name of ['server', 'x-powered-by']) {
      const value = header(ex.responseHeaders, name);
      for (const p of value ? outdatedProducts(value) : []) {
        hits.push({
          key: `${originOf(ex.url)} ${p.product}/${p.version}`,
          message: `${originOf(ex.url)} runs ${p.product} ${p.version}, older than ${p.minimum}, the oldest maintained release in the table of ${TABLE_DATE}`,
          evidence: `${name}: ${value}`,
        });
      }
    }
    return hits;
  }),
};
