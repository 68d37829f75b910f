/**
 * How much memory a hog may take: the system's MemAvailable, lowered by the run's cgroup limit when there is one
 * (cgroup v2 memory.max − memory.current, or v1 memory.limit_in_bytes − memory.usage_in_bytes). Bytes.
 */
import { readFileSync } from 'node:fs';

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function cgroupHeadroom(): number | undefined {
  for (const [limit, usage] of [
    ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory.current'],
    ['/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.usage_in_bytes'],
  ]) {
    const max = readNumber(limit); // 'max' (no limit) reads as undefined
    const used = readNumber(usage);
    if (max !== undefined && used !== undefined && max < 2 ** 60) return Math.max(0, max - used);
  }
  return undefined;
}

export function memoryAvailableBytes(): number {
  let available = Infinity;
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) available = Number(m[1]) * 1024;
  } catch {
    // not Linux: only the cgroup (if any) bounds it
  }
  return Math.min(available, cgroupHeadroom() ?? Infinity);
}

/** Resident set size of a process in bytes, from /proc/<pid>/status; undefined once it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
