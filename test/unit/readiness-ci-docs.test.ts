/**
 * The documented CI jobs (docs/ci/github-actions.yml, docs/ci/gitlab-ci.yml) parse as YAML, install the CLI this
 * package publishes, run `chaos-testing ci` with flags it has, and pick up the report files it writes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parse, parseDocument } from 'yaml';
import { ciCommand } from '../../src/cli/commands/ci';
import { REPORT_FILES } from '../../src/core/readiness/report/write';
import { ROOT } from '../helpers';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
const OUT = '.chaos/reports';

function load(file: string): Record<string, unknown> {
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'ci', file), 'utf8');
  const doc = parseDocument(text, { uniqueKeys: true });
  assert.deepEqual(doc.errors.map((e) => e.message), [], `${file} is valid YAML`);
  return parse(text) as Record<string, unknown>;
}

/** The `chaos-testing ci ...` command lines of a script, with their flags checked against the verb's spec. */
function ciLines(script: string): string[] {
  const lines = script.split('\n').filter((l) => /\bchaos-testing ci\b/.test(l));
  for (const line of lines) {
    for (const flag of line.match(/--[a-z-]+/g) ?? []) assert.ok(flag.slice(2) in ciCommand.spec.flags, `${flag} is a flag of chaos-testing ci`);
  }
  return lines;
}

test('the GitHub Actions workflow installs the CLI, runs ci, and publishes JUnit, SARIF and the Markdown summary', () => {
  const wf = load('github-actions.yml') as { jobs: Record<string, { steps: Array<{ run?: string; uses?: string; with?: Record<string, string> }> }> };
  const steps = Object.values(wf.jobs)[0].steps;
  const runs = steps.map((s) => s.run ?? '').join('\n');
  assert.ok(Object.keys(pkg.bin).includes('chaos-testing'));
  assert.match(runs, new RegExp(`npm install --global ${pkg.name}\\b`));
  const ci = ciLines(runs);
  assert.equal(ci.length, 1);
  assert.match(ci[0], new RegExp(`--out ${OUT}\\b`));
  const withValues = steps.flatMap((s) => Object.values(s.with ?? {})).join('\n') + runs;
  for (const f of [REPORT_FILES.junit, REPORT_FILES.sarif, REPORT_FILES.markdown]) assert.ok(withValues.includes(`${OUT}/${f}`), `${f} is picked up`);
  assert.ok(steps.some((s) => s.uses?.startsWith('github/codeql-action/upload-sarif')), 'SARIF goes to code scanning');
  assert.ok(steps.findIndex((s) => s.run?.includes('npm start')) < steps.findIndex((s) => s.run?.includes('chaos-testing ci')), 'the service starts first');
});

test('the GitLab CI job installs the CLI, runs ci, and hands GitLab the JUnit report', () => {
  const gl = load('gitlab-ci.yml') as Record<string, { script?: string[]; after_script?: string[]; artifacts?: { paths: string[]; reports: { junit: string } } }>;
  const job = gl.readiness;
  const script = (job.script ?? []).join('\n');
  assert.match(script, new RegExp(`npm install --global ${pkg.name}\\b`));
  const ci = ciLines(script);
  assert.equal(ci.length, 1);
  assert.match(ci[0], /--out "\$REPORTS"/);
  assert.equal((gl.readiness as unknown as { variables: Record<string, string> }).variables.REPORTS, OUT);
  assert.equal(job.artifacts?.reports.junit, `${OUT}/${REPORT_FILES.junit}`);
  assert.ok(job.artifacts?.paths.includes(`${OUT}/`));
  assert.match((job.after_script ?? []).join('\n'), new RegExp(`${OUT}/${REPORT_FILES.markdown}`));
});

test('neither file is a workflow this repository runs', () => {
  assert.equal(fs.existsSync(path.join(ROOT, '.github', 'workflows', 'readiness.yml')), false);
});
