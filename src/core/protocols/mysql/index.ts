/** MySQL and MariaDB (the client/server protocol, v10 handshake): see connection.ts. */
import type { WireProtocolDefinition } from '../types';
import { MysqlConnectionParser } from './connection';

export const definition: WireProtocolDefinition = {
  name: 'mysql',
  defaultPort: 3306,
  createParser: (context) => new MysqlConnectionParser(context),
};
