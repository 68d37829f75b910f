/**
 * Pinning unpinned images by digest, only where the digest is known without the network: a tag the workspace pins
 * elsewhere (Dockerfile, compose, Kubernetes YAML), and what a local docker pulled (a stub `docker` on PATH that the
 * test writes, answering `image inspect` as docker does). Through the core and the built CLI (`npm run build` first).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseImageRef } from '../../src/core/compliance/detect/imageRef';
import { runAudit } from '../../src/core/compliance/engine';
import type { AuditResult } from '../../src/core/compliance/types';
import { runCli, tmpDir } from '../helpers';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function workspace(t: TestContext, files: Record<string, string>): string {
  const dir = tmpDir(t);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** A `docker` that knows node:22 (pulled from Docker Hub and from a mirror) and logs each call. */
function stubDocker(t: TestContext): { dir: string; calls: () => string[] } {
  const dir = tmpDir(t);
  const log = path.join(dir, 'calls.log');
  fs.writeFileSync(path.join(dir, 'docker'), [
    '#!/bin/sh',
    `echo "$*" >> '${log}'`,
    'case "$*" in',
    `  "image inspect --format {{json .RepoDigests}} node:22") echo '["mirror.example.com/node@sha256:${B}","node@sha256:${C}"]' ;;`,
    '  *) echo "Error: No such image" >&2; exit 1 ;;',
    'esac',
  ].join('\n'), { mode: 0o755 });
  return { dir, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

function pins(r: AuditResult): Record<string, string> {
  return Object.fromEntries(r.findings.filter((f) => f.ruleId === 'unpinned-image').map((f) => [`${(f.location as { file: string; line: number }).file}:${(f.location as { line: number }).line}`, f.fix?.replace ?? '-']));
}

test('image references: Docker Hub defaults, registries with ports, digests', () => {
  assert.deepEqual(parseImageRef('nginx'), { repository: 'docker.io/library/nginx', tag: 'latest' });
  assert.deepEqual(parseImageRef(`index.docker.io/library/nginx:1.25@sha256:${A}`), { repository: 'docker.io/library/nginx', tag: '1.25', digest: `sha256:${A}` });
  assert.deepEqual(parseImageRef('localhost:5000/team/app:1.2'), { repository: 'localhost:5000/team/app', tag: '1.2' });
  assert.equal(parseImageRef('${IMAGE}'), null);
  assert.equal(parseImageRef('nginx@sha256:short'), null);
});

test('a tag pinned elsewhere in the workspace gives the fix; another tag, or a tag pinned at two digests gives none', async (t) => {
  const dir = workspace(t, {
    'api/Dockerfile': 'FROM node:20 AS build\nRUN npm ci\nFROM docker.io/library/nginx:1.25\nUSER 101\n',
    'web/Dockerfile': `FROM node:20@sha256:${A}\nUSER 1000\n`,
    'docker-compose.yml': `services:\n  web:\n    image: "nginx:1.25@sha256:${B}"\n  cache:\n    image: redis:7.0\n  queue:\n    image: redis:7.2@sha256:${C}\n`,
    'k8s/a.yaml': `apiVersion: v1\nkind: Pod\nmetadata: { name: a }\nspec:\n  containers:\n    - name: a\n      image: "node:20"\n    - { name: b, image: postgres:16 }\n`,
    'k8s/b.yaml': `apiVersion: v1\nkind: Pod\nmetadata: { name: b }\nspec:\n  containers:\n    - name: b\n      image: postgres:16@sha256:${A}\n    - name: c\n      image: postgres:16@sha256:${B}\n`,
  });
  const r = await runAudit({ frameworks: ['fisma'], workspace: dir, imageTool: null });
  assert.deepEqual(pins(r), {
    'api/Dockerfile:1': `FROM node:20@sha256:${A} AS build`,
    'api/Dockerfile:3': `FROM docker.io/library/nginx:1.25@sha256:${B}`, // same image as compose's nginx:1.25
    'docker-compose.yml:5': '-', // redis:7.0: only redis:7.2 is pinned
    'k8s/a.yaml:7': `      image: "node:20@sha256:${A}"`,
    'k8s/a.yaml:8': '-', // postgres:16 is pinned at two digests: which one is right is not ours to say
  });
  const fix = r.findings.find((f) => f.fix?.line === 3)!.fix!;
  assert.equal(fix.description, 'pin docker.io/library/nginx:1.25 to sha256:bbbbbbbbbbbb… (pinned at docker-compose.yml:3)');
});

test('a local docker: the digest it pulled the image at, of that repository; asked once per image; never in --image-tool none', async (t) => {
  const dir = workspace(t, { Dockerfile: 'FROM node:22\nUSER 1000\nFROM node:22\nFROM python:3.12\nUSER 1000\n' });
  const docker = stubDocker(t);
  const env = { PATH: `${docker.dir}${path.delimiter}${process.env.PATH}` };
  const json = (args: string[]): AuditResult => {
    const r = runCli(['audit', '-f', 'fisma', '--workspace', dir, '--input', path.join(dir, 'none.db'), '--format', 'json', '--fail-on', 'none', ...args], { env });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as AuditResult;
  };

  const found = json([]);
  assert.deepEqual(pins(found), { 'Dockerfile:1': `FROM node:22@sha256:${C}`, 'Dockerfile:3': `FROM node:22@sha256:${C}`, 'Dockerfile:4': '-' });
  assert.match(found.findings[0].fix!.description, /\(pulled by the local docker\)$/);
  assert.deepEqual(docker.calls(), ['image inspect --format {{json .RepoDigests}} node:22', 'image inspect --format {{json .RepoDigests}} python:3.12']);

  assert.deepEqual(pins(json(['--image-tool', 'none'])), { 'Dockerfile:1': '-', 'Dockerfile:3': '-', 'Dockerfile:4': '-' });
  assert.equal(docker.calls().length, 2, 'none: docker is not run');
  const missing = runCli(['audit', '--workspace', dir, '--image-tool', 'podman-not-here'], { env });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  assert.match(missing.stderr, /--image-tool podman-not-here: no such program on PATH; install it, or pass --image-tool auto or none/);
});
