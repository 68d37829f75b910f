/**
 * Chaos Testing as a library: every engine of the CLI and the editor, from your own test suites (node:test,
 * vitest, jest). `require('chaos-testing')` or `import … from 'chaos-testing'`.
 *
 * - {@link ChaosExperiment}: process kill, network partition, CPU throttle, memory pressure, disk exhaustion,
 *   clock skew, cascading failure, or an experiment file; `execute()` measures recovery.
 * - {@link StateInvariant}: circuit breaker, queue preservation, transaction atomicity, cache consistency,
 *   latency and error-rate bounds, or your own; `verify()` shrinks a failure to a minimal example.
 * - {@link ComplianceFramework}: FISMA, FedRAMP, SOC 2, HIPAA, PCI-DSS; `audit()` over traffic and files.
 * - {@link LoadTest}: profiles, duration, mix and SLO; `run()` reports throughput, latencies and the SLO.
 * - {@link Capture}, {@link TrafficStore}, {@link generateTests}: record traffic, read it, turn it into tests.
 * - {@link FaultProxy}: a standing fault proxy before a dependency, for experiments and invariants to fault.
 *
 * Every long call takes `{ signal, onProgress }`; errors are {@link ChaosError}s with a stable `code`.
 */
export { ChaosExperiment } from './chaosExperiment';
export type { ChaosOutcome, ExecuteOptions, MeasureOptions, ProbeTolerance, ProcessSpec, ProxySpec } from './chaosExperiment';
export { StateInvariant } from './stateInvariant';
export type {
  CacheConsistencyOptions, CircuitBreakerOptions, CustomCheckResult, CustomInvariantOptions, InvariantProxy, InvariantTarget, InvariantVerdict,
  InvariantViolation, PropertyRunOptions, QueuePreservationOptions, RequestTemplate, RunInvariantOptions, TransactionAtomicityOptions, VerifyOptions,
} from './stateInvariant';
export { ComplianceFramework } from './complianceFramework';
export type { AuditOptions, ComplianceAudit, ComplianceReport } from './complianceFramework';
export { LoadTest } from './loadTest';
export type { LoadOutcome, LoadPlan, RunLoadOptions, SloObjectives } from './loadTest';
export { Capture, RunningCapture, TrafficStore, generateTests } from './capture';
export { FaultProxy } from './faultProxy';
export type { FaultProxyHandle, FaultProxyOptions } from './faultProxy';
export type {
  CaptureConfigOptions, CaptureHandle, CaptureListener, CaptureListenerInfo, CaptureProgress, CaptureProtocol, CaptureStartOptions, CaptureSummary, GeneratedTests, GenerateTestsOptions,
} from './capture';
export { CancelledError, ChaosError, ERROR_CODES, ExperimentInvalidError, InputError, ListenError, StoreError, UsageError, isChaosError } from './errors';
export type { ErrorCode } from './errors';
export type { CallOptions, Duration } from './options';
/** The engines' own result and contract types, for code that wants the full detail (`raw` of each outcome). */
export type { Experiment, ExperimentResult, PhaseStats, TimelineEvent } from '../core/chaos/types';
export type { LoadPlanInput, RequestInput } from '../core/load/plan';
export type { LoadResult, LoadSpec, LoadTick, RequestMix, SloVerdict } from '../core/load/types';
export type { Invariant, InvariantContext, PropertiesOptions, PropertiesProgress, PropertiesResult, Step } from '../core/properties/types';
export type { AuditProgress, AuditResult, Finding, Framework, Severity } from '../core/compliance/types';
export type { FailOn } from '../core/compliance/threshold';
export type { ExchangeDetail, ExchangeSummary, SessionRow } from '../core/store/database';
