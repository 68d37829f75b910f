/** Checks drivers share: the action names a target of the right kind. */
import type { Action, Experiment, ExperimentProblem, Target } from './types';

/** Where an action is, for messages: `method[0] 'kill the backend'`. */
export function actionPlace(action: Action): string {
  const [list, index] = action.at;
  return `${String(list)}[${String(index)}] '${action.name}'`;
}

/** The target an action names, if it exists and is of `kind`; otherwise a problem on `provider.target`. */
export function targetOfKind<K extends Target['kind']>(
  action: Action,
  experiment: Experiment,
  kind: K,
): { target?: Extract<Target, { kind: K }>; problems: ExperimentProblem[] } {
  const target = experiment.targets[action.target];
  const path = [...action.at, 'provider', 'target'];
  if (!target) {
    const names = Object.keys(experiment.targets).join(', ');
    return { problems: [{ path, message: `${actionPlace(action)}: target '${action.target}' is not defined; targets are: ${names}` }] };
  }
  if (target.kind !== kind) {
    const fitting = Object.values(experiment.targets).filter((t) => t.kind === kind).map((t) => t.name);
    const hint = fitting.length ? `; ${kind} targets are: ${fitting.join(', ')}` : `; add a target with a '${kind}' key`;
    return { problems: [{ path, message: `${actionPlace(action)}: ${action.kind} needs a ${kind} target, and '${action.target}' is a ${target.kind} target${hint}` }] };
  }
  return { target: target as Extract<Target, { kind: K }>, problems: [] };
}
