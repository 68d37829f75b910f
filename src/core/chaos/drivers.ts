/**
 * The one registry of action drivers, kind → driver. A kind with no driver here is refused at validation
 * ("action kind X is not available in this build"); adding a kind is one import and one line below.
 */
import { driver as bandwidth } from './actions/bandwidth';
import { driver as cascadingFailure } from './actions/cascading-failure';
import { driver as clockSkew } from './actions/clock-skew';
import { driver as cpuThrottle } from './actions/cpu-throttle';
import { driver as diskExhaustion } from './actions/disk-exhaustion';
import { driver as latency } from './actions/latency';
import { driver as loss } from './actions/loss';
import { driver as memoryPressure } from './actions/memory-pressure';
import { driver as networkPartition } from './actions/network-partition';
import { driver as processKill } from './actions/process-kill';
import type { ActionDriver, ActionKind } from './types';

type Registry = { [K in ActionKind]?: ActionDriver<K> };

const DRIVERS: Registry = {
  'process-kill': processKill,
  'network-partition': networkPartition,
  latency,
  loss,
  bandwidth,
  'cpu-throttle': cpuThrottle,
  'memory-pressure': memoryPressure,
  'disk-exhaustion': diskExhaustion,
  'clock-skew': clockSkew,
  'cascading-failure': cascadingFailure,
};

export function getDriver<K extends ActionKind>(kind: K): ActionDriver<K> | undefined {
  return DRIVERS[kind] as ActionDriver<K> | undefined;
}

export function availableKinds(): ActionKind[] {
  return Object.keys(DRIVERS) as ActionKind[];
}
