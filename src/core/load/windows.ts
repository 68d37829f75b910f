/**
 * Figures over a stretch of a run (an SLO window, a stress step, a third of a soak), summed from one-second ticks.
 */
import type { SloFigures } from './slo';
import { Recorder } from './generator/recorder';
import type { SecondFigures } from './generator/stats';

export class Window {
  fromSecond = 0;
  toSecond = 0;
  seconds = 0;
  completed = 0;
  errors = 0;
  /** Errors with no response (timeout, reset, refused, other): they count in the error rate's denominator. */
  transportErrors = 0;
  readonly latencies = new Recorder();

  add(second: number, f: SecondFigures, seconds = 1): void {
    if (this.seconds === 0) this.fromSecond = second - 1;
    this.toSecond = second;
    this.seconds += seconds;
    this.completed += f.completed;
    this.errors += f.errors;
    this.transportErrors += f.errors - f.errorCounts[0] - f.errorCounts[1];
    this.latencies.add(f.recorder);
  }

  figures(): SloFigures {
    const attempts = this.completed + this.transportErrors;
    return {
      latency: this.latencies.percentiles(),
      errorRate: attempts ? this.errors / attempts : 0,
      rps: this.seconds ? this.completed / this.seconds : 0,
    };
  }

  get empty(): boolean {
    return this.seconds === 0;
  }
}
