import { parseExperimentText } from '../../core/chaos/parse';
import type { ExperimentValidator } from './experimentDiagnostics';

/** The CLI's own validation (schema, names, each action's checks): the editor and `chaos validate` agree. */
export const experimentValidator: ExperimentValidator = (text, file) => parseExperimentText(text, file).problems;
