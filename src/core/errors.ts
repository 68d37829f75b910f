/**
 * Errors the user can act on. Each carries a stable `code`; the CLI prints the message as one line and sets the
 * exit code (2 for usage errors, 1 otherwise), the extension shows it as a notification. Anything that is not a
 * ChaosError is a bug and is reported as such.
 */
export class ChaosError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'ChaosError';
  }
}

/** Bad flags, bad arguments: exit code 2. */
export class UsageError extends ChaosError {
  constructor(message: string) {
    super('CT_USAGE', message);
  }
}

/** A database file that is not ours, is corrupt, or cannot be written. Never modified. */
export class StoreError extends ChaosError {
  constructor(message: string) {
    super('CT_STORE', message);
  }
}

/** A file the user gave us (HAR, config) that cannot be read or parsed. */
export class InputError extends ChaosError {
  constructor(message: string) {
    super('CT_INPUT', message);
  }
}

/** Bad input of one kind: a name already taken (the fault API answers it with 409, as Toxiproxy does). */
export class NameInUseError extends InputError {}

/** The proxy could not start: port in use, permission, bad address. */
export class ListenError extends ChaosError {
  constructor(message: string) {
    super('CT_LISTEN', message);
  }
}

/** Whether `e` is one of ours (an error with a stable `code`) rather than a bug. */
export function isChaosError(e: unknown): e is ChaosError {
  return e instanceof ChaosError;
}

/** What a file system error means, in the user's words rather than libuv's ("EISDIR: illegal operation…"). */
const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
};

/** A short, single-line description of any thrown value. */
export function describeError(e: unknown): string {
  if (isChaosError(e)) return e.message;
  if (e instanceof Error) {
    const errno = e as NodeJS.ErrnoException;
    // A system call's error (libuv's text, e.g. "EISDIR: illegal operation on a directory, read"): its plain meaning.
    if (errno.code && errno.syscall && FILE_PROBLEMS[errno.code]) return FILE_PROBLEMS[errno.code];
    const code = errno.code;
    return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
  }
  return String(e);
}
