/**
 * From a traffic database to a written test suite in one call: pick the dialect, learn the behaviour model, write
 * the suite. The CLI verb `generate` and the library's `generateTests` both call it. Errors name the flag-free
 * input (`language`, `framework`, `input`); the CLI words them as its flags.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StoreError, UsageError } from '../errors';
import { learn } from '../learn/learn';
import type { BehaviourModel } from '../learn/model';
import { openForReading } from '../store/reader';
import type { Dialect } from './dialect';
import { DIALECTS, findDialect } from './dialects';
import { writeSuite, type GenerateResult, type OnEdited } from './generate';

export interface GenerateSuiteOptions {
  /** The traffic database. */
  input: string;
  language: string;
  framework?: string;
  /** Project folder; the suite goes where its runner looks. */
  out: string;
  sessionId?: number;
  onEdited?: OnEdited;
}

export interface GeneratedSuite extends GenerateResult {
  dialect: Dialect;
  /** Environment variables the tests read besides BASE_URL (CHAOS_SECRET_*). */
  env: string[];
}

/** The dialect for a language and framework, or a UsageError naming the choices. */
export function dialectFor(language: string | undefined, framework?: string): Dialect {
  const languages = [...new Set(DIALECTS.map((d) => d.language))];
  if (!language) throw new UsageError(`generate needs --language (${languages.join(', ')})`);
  const dialect = findDialect(language, framework);
  if (dialect) return dialect;
  const lang = DIALECTS.find((d) => d.language === language.toLowerCase());
  if (lang) throw new UsageError(`--framework ${String(framework)} is not one of ${DIALECTS.filter((d) => d.language === lang.language).map((d) => d.framework).join(', ')} for ${lang.language}`);
  throw new UsageError(`--language ${language} is not available; choose one of ${languages.join(', ')}`);
}

export async function generateSuite(o: GenerateSuiteOptions): Promise<GeneratedSuite> {
  const dialect = dialectFor(o.language, o.framework);
  if (!fs.existsSync(o.input)) throw new StoreError(`no traffic database at ${o.input}: capture some first with 'chaos-testing observe', or pass --input PATH`);
  const db = await openForReading(o.input);
  let model: BehaviourModel;
  try {
    model = learn(db, { sessionId: o.sessionId });
  } finally {
    db.close();
  }
  if (!model.scenarios.length) throw new UsageError(`${o.input} has no HTTP exchanges with responses to learn from; capture some first`);
  const source = path.relative(path.resolve(o.out), path.resolve(o.input)) || o.input;
  const r = writeSuite(dialect, model, o.out, { source, onEdited: o.onEdited });
  return { ...r, dialect, env: model.env.map((e) => e.name) };
}
