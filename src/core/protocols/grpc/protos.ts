/**
 * Decodes gRPC messages to JSON with the `.proto` files a listener is given (options.protoFiles), loaded once per
 * list of files with protobufjs. A method is found by its path, `/pkg.Service/Method`.
 */
import * as protobuf from 'protobufjs';
import { describeError } from '../../errors';

export interface MethodTypes {
  request: protobuf.Type;
  response: protobuf.Type;
}

const roots = new Map<string, protobuf.Root | Error>();
const MAX_ROOTS = 16;

/** The loaded root, or the reason it could not be loaded (kept, so each connection does not retry). */
export function loadProtos(files: string[]): protobuf.Root | Error {
  const key = files.join('\n');
  let root = roots.get(key);
  if (!root) {
    try {
      root = new protobuf.Root().loadSync(files, { keepCase: true });
      root.resolveAll();
      if (!hasService(root)) root = new Error(`the .proto files (${files.join(', ')}) define no service`);
    } catch (e) {
      root = new Error(`could not load the .proto files (${files.join(', ')}): ${describeError(e)}`);
    }
    if (roots.size >= MAX_ROOTS) roots.delete(roots.keys().next().value as string);
    roots.set(key, root);
  }
  return root;
}

function hasService(ns: protobuf.NamespaceBase): boolean {
  return ns.nestedArray.some((n) => n instanceof protobuf.Service || (n instanceof protobuf.Namespace && hasService(n)));
}

export function findMethod(root: protobuf.Root, path: string): MethodTypes | null {
  const m = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!m) return null;
  const service = root.lookup(m[1]);
  if (!(service instanceof protobuf.Service)) return null;
  const method = service.methods[m[2]];
  if (!method?.resolvedRequestType || !method.resolvedResponseType) return null;
  return { request: method.resolvedRequestType, response: method.resolvedResponseType };
}

/** JSON-able: 64-bit integers and enums as strings, bytes as base64. */
export function decodeMessage(type: protobuf.Type, bytes: Buffer): unknown {
  try {
    return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String });
  } catch (e) {
    return { decodeError: (e as Error).message };
  }
}
