/**
 * A project folder for `chaos-testing ci`: the property-testing example backend running on 127.0.0.1 (clean, or with
 * planted bugs), its captured traffic in .chaos/traffic.db, a chaos experiment that partitions a fault proxy in
 * front of it, and a suite of cheap checks written as YAML. Everything goes when the test ends.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { tmpDir, type RunningServer } from './index';
import { API_TOKEN, capturePropertiesSession, startPropertiesBackend, type Bug } from './propertiesBackend';

export const READINESS_ENV = { CHAOS_SECRET_AUTHORIZATION: API_TOKEN };

export interface ReadinessWorkspace {
  dir: string;
  backend: RunningServer;
  /** Writes .chaos/suite.yaml (the text with {target} replaced) and returns its path. */
  writeSuite(yaml: string): string;
  reports: string;
}

export async function readinessWorkspace(t: TestContext, options: { bugs?: Bug[]; faultMs?: number } = {}): Promise<ReadinessWorkspace> {
  const dir = tmpDir(t, 'chaos-readiness-');
  fs.mkdirSync(path.join(dir, '.chaos', 'experiments'), { recursive: true });
  fs.copyFileSync(await capturePropertiesSession(t), path.join(dir, '.chaos', 'traffic.db'));
  const backend = await startPropertiesBackend(t, options.bugs ?? []);
  const port = await freePort();
  fs.writeFileSync(path.join(dir, '.chaos', 'experiments', 'partition.yaml'), `title: The API answers again after a network partition
targets:
  api: {url: "http://127.0.0.1:${port}"}
  edge: {proxy: {listen: "127.0.0.1:${port}", upstream: "127.0.0.1:${backend.port}"}}
steady-state-hypothesis:
  probes:
    - {name: health, provider: {type: http, url: api/api/health, timeout: 1s}, tolerance: 200}
method:
  - {name: cut the network, provider: {type: network-partition, target: edge}, duration: ${options.faultMs ?? 400}ms}
measure: {interval: 20ms, baseline: 300ms, consecutive: 3, recovery-timeout: 5s}
`);
  return {
    dir,
    backend,
    reports: path.join(dir, '.chaos', 'reports'),
    writeSuite(yaml) {
      const file = path.join(dir, '.chaos', 'suite.yaml');
      fs.writeFileSync(file, yaml.replace(/\{target\}/g, backend.url));
      return file;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}
