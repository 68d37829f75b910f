/** Writes the four reports of a readiness run (and its JSON) into one folder, each file atomically. */
import * as path from 'node:path';
import { atomicWriteFileSync, ensureParentDir } from '../../store/atomicWrite';
import type { ReadinessResult } from '../types';
import { toHtml } from './html';
import { toJUnitXml } from './junit';
import { toMarkdown } from './markdown';
import { toReadinessSarif } from './sarif';

export const REPORT_FILES = { junit: 'junit.xml', sarif: 'readiness.sarif', markdown: 'summary.md', html: 'report.html', json: 'readiness.json' } as const;

export type ReportPaths = Record<keyof typeof REPORT_FILES, string>;

export function writeReports(r: ReadinessResult, outDir: string): ReportPaths {
  const paths = Object.fromEntries(Object.entries(REPORT_FILES).map(([k, f]) => [k, path.resolve(outDir, f)])) as ReportPaths;
  ensureParentDir(paths.json);
  const write = (file: string, text: string): void => atomicWriteFileSync(file, Buffer.from(text));
  write(paths.junit, toJUnitXml(r));
  write(paths.sarif, JSON.stringify(toReadinessSarif(r), null, 2) + '\n');
  write(paths.markdown, toMarkdown(r));
  write(paths.html, toHtml(r));
  write(paths.json, JSON.stringify(r, null, 2) + '\n');
  return paths;
}
