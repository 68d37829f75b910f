/**
 * A gRPC server on 127.0.0.1 (@grpc/grpc-js, insecure: cleartext HTTP/2 with prior knowledge) serving
 * test/fixtures/grpc/users.proto: GetUser (unary), ListUsers (server streaming), CreateUsers (client streaming),
 * Chat (bidi, echoes) and DeleteUser (always NOT_FOUND with a message). `usersClient` makes a client for it.
 */
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const USERS_PROTO = path.join(__dirname, '..', 'fixtures', 'grpc', 'users.proto');

interface User {
  id: number;
  name: string;
  created_at?: string;
}

function usersService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(USERS_PROTO, { keepCase: true, longs: String });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { chaos: { users: { Users: grpc.ServiceClientConstructor } } };
  return pkg.chaos.users.Users;
}

const USERS: User[] = [1, 2, 3].map((id) => ({ id, name: `user-${id}`, created_at: String(1_700_000_000_000 + id) }));

export async function startGrpcServer(t: TestContext): Promise<{ port: number }> {
  const server = new grpc.Server();
  server.addService(usersService().service, {
    GetUser: (call: grpc.ServerUnaryCall<{ id: number }, User>, done: grpc.sendUnaryData<User>) => {
      const user = USERS.find((u) => u.id === call.request.id);
      const trailer = new grpc.Metadata();
      trailer.set('x-served-by', 'users-1');
      if (user) done(null, user, trailer);
      else done({ code: grpc.status.NOT_FOUND, details: `user ${call.request.id} not found` });
    },
    ListUsers: (call: grpc.ServerWritableStream<{ limit: number }, User>) => {
      for (const u of USERS.slice(0, call.request.limit)) call.write(u);
      call.end();
    },
    CreateUsers: (call: grpc.ServerReadableStream<User, { created: number }>, done: grpc.sendUnaryData<{ created: number }>) => {
      let created = 0;
      call.on('data', () => created++);
      call.on('end', () => done(null, { created }));
    },
    Chat: (call: grpc.ServerDuplexStream<{ text: string }, { text: string }>) => {
      call.on('data', (m: { text: string }) => call.write({ text: `echo: ${m.text}` }));
      call.on('end', () => call.end());
    },
    DeleteUser: (call: grpc.ServerUnaryCall<{ id: number }, User>, done: grpc.sendUnaryData<User>) => {
      done({ code: grpc.status.NOT_FOUND, details: `no user ${call.request.id} to delete` });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  t.after(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  return { port };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UsersClient = grpc.Client & Record<string, any>;

export function usersClient(t: TestContext, port: number): UsersClient {
  const Users = usersService();
  const client = new Users(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as UsersClient;
  t.after(() => client.close());
  return client;
}
