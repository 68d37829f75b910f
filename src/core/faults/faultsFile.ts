/**
 * A faults file: `{ toxics: [ {name, type, stream, toxicity, attributes}, ... ] }` in YAML or JSON, each entry the
 * same toxic object the fault API and `parseToxic` accept. Errors are one line naming the file and the entry.
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError, describeError } from '../errors';
import { parseToxic, type Toxic } from './toxics';

export function loadFaultsFile(file: string): Toxic[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read faults file ${file}: ${describeError(e)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text); // YAML 1.2 is a superset of JSON: one parser for both
  } catch (e) {
    throw new InputError(`faults file ${file} is not valid YAML or JSON: ${describeError(e).split('\n')[0]}`);
  }
  return parseFaults(doc, file);
}

/** Validates a parsed faults document; `file` names it in errors. */
export function parseFaults(doc: unknown, file: string): Toxic[] {
  const shape = `expected { toxics: [ {name, type, stream, toxicity, attributes}, ... ] }`;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(`faults file ${file}: ${shape}`);
  const list = (doc as Record<string, unknown>).toxics;
  if (!Array.isArray(list)) throw new InputError(`faults file ${file}: 'toxics' must be a list; ${shape}`);
  const extra = Object.keys(doc).filter((k) => k !== 'toxics');
  if (extra.length) throw new InputError(`faults file ${file}: unknown key '${extra[0]}'; ${shape}`);
  const toxics: Toxic[] = [];
  list.forEach((entry, i) => {
    const where = `faults file ${file}, toxics[${i}]${isNamed(entry) ? ` ('${entry.name}')` : ''}`;
    let toxic: Toxic;
    try {
      toxic = parseToxic(entry);
    } catch (e) {
      throw new InputError(`${where}: ${describeError(e)}`);
    }
    if (toxics.some((t) => t.name === toxic.name)) throw new InputError(`${where}: the name '${toxic.name}' is used twice; give each toxic its own name`);
    toxics.push(toxic);
  });
  return toxics;
}

function isNamed(entry: unknown): entry is { name: string } {
  return typeof entry === 'object' && entry !== null && typeof (entry as { name?: unknown }).name === 'string';
}
