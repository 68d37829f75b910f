/**
 * Entry of dist/memoryHog.js: the memory-pressure driver's hog. Allocates `mib` MiB and writes every page (so the
 * memory is resident, not merely reserved), prints `ready <mib>` on stdout, then holds it until killed, until its
 * owner (the run) dies or until its deadline passes.
 *   node memoryHog.js --owner PID --deadline EPOCH_MS --tag TAG --mib N
 */
import { helperArgs, shouldGiveUp, sleep } from './lifeline';

const MIB = 1024 * 1024;
const args = helperArgs();
const mib = Number(args.values.mib);
const held: Buffer[] = [];

async function main(): Promise<void> {
  if (!(mib > 0)) process.exit(2);
  for (let i = 0; i < mib; i++) {
    // allocUnsafe + fill: pages are written, so they count in RSS (calloc'd zeros might never be touched).
    held.push(Buffer.allocUnsafe(MIB).fill(0xa5));
    if (i % 64 === 63 && shouldGiveUp(args)) process.exit(0);
  }
  process.stdout.write(`ready ${held.length}\n`);
  while (!shouldGiveUp(args)) await sleep(200);
  process.exit(0);
}

void main();
