/** Kafka: requests and responses matched by correlation id; Produce, Fetch, Metadata and ApiVersions decoded. */
import type { WireProtocolDefinition } from '../types';
import { KafkaConnection } from './connection';

export const definition: WireProtocolDefinition = {
  name: 'kafka',
  defaultPort: 9092,
  createParser: (context) => new KafkaConnection(context),
};
