/** Kafka API keys: names, the first flexible version (compact encodings, tagged fields), and error code names. */

interface ApiInfo {
  name: string;
  /** First version with request header v2 and response header v1; Infinity when none is flexible. */
  flexibleFrom: number;
}

const NEVER = Infinity;

// From Kafka's clients/src/main/resources/common/message/*.json ("flexibleVersions").
const APIS: Record<number, ApiInfo> = {
  0: { name: 'Produce', flexibleFrom: 9 },
  1: { name: 'Fetch', flexibleFrom: 12 },
  2: { name: 'ListOffsets', flexibleFrom: 6 },
  3: { name: 'Metadata', flexibleFrom: 9 },
  4: { name: 'LeaderAndIsr', flexibleFrom: 4 },
  5: { name: 'StopReplica', flexibleFrom: 2 },
  6: { name: 'UpdateMetadata', flexibleFrom: 6 },
  7: { name: 'ControlledShutdown', flexibleFrom: 3 },
  8: { name: 'OffsetCommit', flexibleFrom: 8 },
  9: { name: 'OffsetFetch', flexibleFrom: 6 },
  10: { name: 'FindCoordinator', flexibleFrom: 3 },
  11: { name: 'JoinGroup', flexibleFrom: 6 },
  12: { name: 'Heartbeat', flexibleFrom: 4 },
  13: { name: 'LeaveGroup', flexibleFrom: 4 },
  14: { name: 'SyncGroup', flexibleFrom: 4 },
  15: { name: 'DescribeGroups', flexibleFrom: 5 },
  16: { name: 'ListGroups', flexibleFrom: 3 },
  17: { name: 'SaslHandshake', flexibleFrom: NEVER },
  18: { name: 'ApiVersions', flexibleFrom: 3 },
  19: { name: 'CreateTopics', flexibleFrom: 5 },
  20: { name: 'DeleteTopics', flexibleFrom: 4 },
  21: { name: 'DeleteRecords', flexibleFrom: 2 },
  22: { name: 'InitProducerId', flexibleFrom: 2 },
  23: { name: 'OffsetForLeaderEpoch', flexibleFrom: 4 },
  24: { name: 'AddPartitionsToTxn', flexibleFrom: 3 },
  25: { name: 'AddOffsetsToTxn', flexibleFrom: 3 },
  26: { name: 'EndTxn', flexibleFrom: 3 },
  27: { name: 'WriteTxnMarkers', flexibleFrom: 1 },
  28: { name: 'TxnOffsetCommit', flexibleFrom: 3 },
  29: { name: 'DescribeAcls', flexibleFrom: 2 },
  30: { name: 'CreateAcls', flexibleFrom: 2 },
  31: { name: 'DeleteAcls', flexibleFrom: 2 },
  32: { name: 'DescribeConfigs', flexibleFrom: 4 },
  33: { name: 'AlterConfigs', flexibleFrom: 2 },
  34: { name: 'AlterReplicaLogDirs', flexibleFrom: 2 },
  35: { name: 'DescribeLogDirs', flexibleFrom: 2 },
  36: { name: 'SaslAuthenticate', flexibleFrom: 2 },
  37: { name: 'CreatePartitions', flexibleFrom: 2 },
  38: { name: 'CreateDelegationToken', flexibleFrom: 2 },
  39: { name: 'RenewDelegationToken', flexibleFrom: 2 },
  40: { name: 'ExpireDelegationToken', flexibleFrom: 2 },
  41: { name: 'DescribeDelegationToken', flexibleFrom: 2 },
  42: { name: 'DeleteGroups', flexibleFrom: 2 },
  43: { name: 'ElectLeaders', flexibleFrom: 2 },
  44: { name: 'IncrementalAlterConfigs', flexibleFrom: 1 },
  45: { name: 'AlterPartitionReassignments', flexibleFrom: 0 },
  46: { name: 'ListPartitionReassignments', flexibleFrom: 0 },
  47: { name: 'OffsetDelete', flexibleFrom: NEVER },
  48: { name: 'DescribeClientQuotas', flexibleFrom: 1 },
  49: { name: 'AlterClientQuotas', flexibleFrom: 1 },
  50: { name: 'DescribeUserScramCredentials', flexibleFrom: 0 },
  51: { name: 'AlterUserScramCredentials', flexibleFrom: 0 },
  55: { name: 'DescribeQuorum', flexibleFrom: 0 },
  57: { name: 'UpdateFeatures', flexibleFrom: 0 },
  60: { name: 'DescribeCluster', flexibleFrom: 0 },
  61: { name: 'DescribeProducers', flexibleFrom: 0 },
  64: { name: 'UnregisterBroker', flexibleFrom: 0 },
  65: { name: 'DescribeTransactions', flexibleFrom: 0 },
  66: { name: 'ListTransactions', flexibleFrom: 0 },
  68: { name: 'ConsumerGroupHeartbeat', flexibleFrom: 0 },
  69: { name: 'ConsumerGroupDescribe', flexibleFrom: 0 },
  71: { name: 'GetTelemetrySubscriptions', flexibleFrom: 0 },
  72: { name: 'PushTelemetry', flexibleFrom: 0 },
  75: { name: 'DescribeTopicPartitions', flexibleFrom: 0 },
};

export const API = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetFetch: 9, ApiVersions: 18, DeleteTopics: 20 } as const;

export function apiName(key: number): string {
  return APIS[key]?.name ?? `Api${key}`;
}

/** Unknown keys are taken as flexible from version 0 only when Kafka made all its newer APIs flexible (key ≥ 45). */
export function isFlexible(key: number, version: number): boolean {
  const from = APIS[key]?.flexibleFrom ?? (key >= 45 ? 0 : NEVER);
  return version >= from;
}

/**
 * Where a response's top-level error code sits, for the APIs that have one: `throttleFrom` is the first version that
 * puts throttle_time_ms before it; `until` the last version that has it at the top.
 */
export const TOP_LEVEL_ERROR: Record<number, { throttleFrom: number; until: number }> = {
  10: { throttleFrom: 1, until: 3 }, // FindCoordinator (v4 answers per key)
  11: { throttleFrom: 2, until: 99 }, // JoinGroup
  12: { throttleFrom: 1, until: 99 }, // Heartbeat
  13: { throttleFrom: 1, until: 99 }, // LeaveGroup
  14: { throttleFrom: 1, until: 99 }, // SyncGroup
  16: { throttleFrom: 1, until: 99 }, // ListGroups
  17: { throttleFrom: 99, until: 99 }, // SaslHandshake
  22: { throttleFrom: 0, until: 99 }, // InitProducerId
  25: { throttleFrom: 0, until: 99 }, // AddOffsetsToTxn
  26: { throttleFrom: 0, until: 99 }, // EndTxn
  36: { throttleFrom: 99, until: 99 }, // SaslAuthenticate
  60: { throttleFrom: 0, until: 99 }, // DescribeCluster
};

const ERRORS: Record<number, string> = {
  [-1]: 'UNKNOWN_SERVER_ERROR',
  1: 'OFFSET_OUT_OF_RANGE',
  2: 'CORRUPT_MESSAGE',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  5: 'LEADER_NOT_AVAILABLE',
  6: 'NOT_LEADER_OR_FOLLOWER',
  7: 'REQUEST_TIMED_OUT',
  10: 'MESSAGE_TOO_LARGE',
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  17: 'INVALID_TOPIC_EXCEPTION',
  19: 'NOT_ENOUGH_REPLICAS',
  22: 'ILLEGAL_GENERATION',
  25: 'UNKNOWN_MEMBER_ID',
  27: 'REBALANCE_IN_PROGRESS',
  29: 'TOPIC_AUTHORIZATION_FAILED',
  30: 'GROUP_AUTHORIZATION_FAILED',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  33: 'UNSUPPORTED_SASL_MECHANISM',
  35: 'UNSUPPORTED_VERSION',
  36: 'TOPIC_ALREADY_EXISTS',
  41: 'NOT_CONTROLLER',
  42: 'INVALID_REQUEST',
  58: 'SASL_AUTHENTICATION_FAILED',
  79: 'MEMBER_ID_REQUIRED',
  87: 'INVALID_RECORD',
};

export function errorName(code: number): string {
  return ERRORS[code] ?? `ERROR_${code}`;
}

/** "error 3 UNKNOWN_TOPIC_OR_PARTITION" */
export function describeError(code: number, where?: string): string {
  return `error ${code} ${errorName(code)}${where ? ` on ${where}` : ''}`;
}
