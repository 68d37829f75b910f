/** PostgreSQL v3 wire protocol: startup, simple and extended queries, COPY, errors, transaction state. */
import type { WireProtocolDefinition } from '../types';
import { PostgresSession } from './session';

export const definition: WireProtocolDefinition = {
  name: 'postgres',
  defaultPort: 5432,
  createParser: (context) => new PostgresSession(context),
};
