/** Redis (RESP2 and RESP3): each command with its arguments and reply summary; see session.ts for the matching. */
import type { WireProtocolDefinition } from '../types';
import { RedisSession } from './session';

export const definition: WireProtocolDefinition = {
  name: 'redis',
  defaultPort: 6379,
  createParser: (context) => new RedisSession(context),
};
