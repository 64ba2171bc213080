/**
 * The toolchains the SDK suites need, found on this machine or named as missing in a sentence. A missing toolchain
 * fails the run (on CI, CI=true, and locally alike): an SDK suite is never skipped in silence. An SDK of another
 * language adds its entry here and a test file beside go.test.ts (see sdks/conformance/README.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type Found = { ok: true; path: string; version: string } | { ok: false; missing: string };

function onPath(command: string, extra: string[]): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extra];
  for (const dir of dirs) {
    const path = join(dir, command);
    if (dir && existsSync(path)) return path;
  }
  return null;
}

/** Go 1.21 or later: on PATH, or where the official archive installs it. */
export function findGo(): Found {
  const path = onPath('go', ['/usr/local/go/bin']);
  const how = 'Install Go 1.21 or later (https://go.dev/dl, unpacked to /usr/local/go) or put its bin directory on PATH.';
  if (!path) return { ok: false, missing: `The Go SDK (sdks/go) cannot be tested: no "go" on PATH or in /usr/local/go/bin. ${how}` };
  const version = execFileSync(path, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const match = /^go1\.(\d+)/.exec(version);
  if (!match || Number(match[1]) < 21) {
    return { ok: false, missing: `The Go SDK (sdks/go) cannot be tested: ${path} is ${version}, older than Go 1.21. ${how}` };
  }
  // go test -race needs cgo, so a C compiler: Go's own archive brings none.
  const [cgo, cc] = execFileSync(path, ['env', 'CGO_ENABLED', 'CC'], { encoding: 'utf8' }).trim().split('\n');
  if (cgo !== '1' || !cc || !onPath(cc.trim().split(' ')[0]!, [])) {
    return {
      ok: false,
      missing: `The Go SDK (sdks/go) cannot be tested with the race detector: it needs cgo and a C compiler ("${cc ?? ''}" is not on PATH, CGO_ENABLED=${cgo}). Install gcc (apt-get install gcc) and leave CGO_ENABLED unset.`,
    };
  }
  return { ok: true, path, version };
}

/**
 * The environment the Go commands run in: this Go (never one it would download), no module proxy (the SDK needs
 * nothing beyond the standard library, so nothing is fetched), no VCS stamping, caches in the temporary directory
 * when there is no home to keep them in, and the Node.js of this run for the world server the scenarios start.
 */
export function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOTOOLCHAIN: 'local',
    GOPROXY: 'off',
    GOFLAGS: '-buildvcs=false',
    TESSERA_NODE: process.execPath,
  };
  if (!env.HOME && !env.GOCACHE) env.GOCACHE = join(tmpdir(), 'tessera-go-cache');
  if (!env.HOME && !env.GOPATH) env.GOPATH = join(tmpdir(), 'tessera-go-path');
  return env;
}
