/**
 * Reads everything a suite names before anything runs — experiment files, load specs, invariants, the traffic
 * database properties learn from — so a bad suite is one exit code (2) with every problem listed, never a
 * half-run gate.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseExperimentText } from '../chaos/parse';
import type { Experiment } from '../chaos/types';
import { InputError, describeError, isChaosError } from '../errors';
import type { LoadPlanInput } from '../load/plan';
import { parseLoadSpecText, readLoadSpec } from '../load/specFile';
import { resolveInvariants } from '../properties/invariants';
import { readSuite } from './suiteFile';
import type { CheckSpec, Suite } from './types';

export interface PreparedSuite extends Suite {
  experiments: Map<CheckSpec, Experiment>;
}

export async function loadSuite(file: string): Promise<PreparedSuite> {
  const suite = readSuite(file);
  const experiments = new Map<CheckSpec, Experiment>();
  const problems: string[] = [];
  const at = (c: CheckSpec, message: string): string => `${file}:${c.place.line}:${c.place.column}: ${message}`;
  for (const check of suite.checks) {
    try {
      if (check.kind === 'chaos') {
        const experiment = readExperiment(check.file);
        experiments.set(check, experiment);
        if (check.name === check.file) check.name = experiment.title;
      }
      else if (check.kind === 'load') check.input = loadInput(check.input as unknown as Record<string, unknown>, suite, (m) => problems.push(at(check, m)));
      else if (check.kind === 'properties') {
        await resolveInvariants(check.invariants, check.invariantsDir);
        if (check.runs > 0 && !existsSync(suite.traffic)) problems.push(at(check, `properties learn the API from the traffic database, and there is none at ${suite.traffic}; capture traffic first, set traffic:, or set runs: 0 to run the invariants alone`));
      }
    } catch (e) {
      if (!isChaosError(e)) throw e;
      problems.push(...e.message.split('\n').map((line) => (/^\S+:\d+:\d+: /.test(line) ? line : at(check, line))));
    }
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return { ...suite, experiments };
}

function readExperiment(file: string): Experiment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the experiment file ${file} (${describeError(e)}); check the path`);
  }
  const { experiment, problems } = parseExperimentText(text, file);
  if (problems.length) throw new InputError(problems.map((p) => `${file}:${p.line ?? 1}:${p.column ?? 1}: ${p.message}`).join('\n'));
  return experiment!;
}

/** The suite's load: a spec file, then the inline fields over it (a load spec of their own), target and traffic from the suite. */
function loadInput(inline: Record<string, unknown>, suite: Suite, problem: (message: string) => void): LoadPlanInput {
  const { spec, ...fields } = inline;
  const base: LoadPlanInput = typeof spec === 'string' ? readLoadSpec(spec) : {};
  const parsed = parseLoadSpecText(JSON.stringify({ target: base.target ?? suite.target, ...fields }));
  for (const p of parsed.problems) problem(`load: ${p.message.replace(/^the file: /, '')}`);
  const input: LoadPlanInput = { ...base, ...parsed.input };
  input.input ??= suite.traffic;
  return input;
}
