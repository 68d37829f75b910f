/** gRPC over cleartext HTTP/2: calls by path, status and trailers, messages counted, decoded with .proto files. */
import type { WireProtocolDefinition } from '../types';
import { GrpcConnection } from './connection';

export const definition: WireProtocolDefinition = {
  name: 'grpc',
  defaultPort: 50051,
  createParser: (context) => new GrpcConnection(context),
};
