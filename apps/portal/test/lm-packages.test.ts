/** The License Manager's packages as the bind wizard offers them: systems, the visitor's own, the exact commands. */
import { describe, expect, it } from 'vitest';
import type { PackageView } from '../src/api';
import { debCommands, lmSystems, systemOf, tarballCommands, visitorSystem } from '../src/lm-packages';

const item = (filename: string, platform: string, version = '0.1.0'): PackageView => ({
  id: `pkg_${filename.replace(/[^a-z0-9]/g, '')}`,
  product: 'tessera-lm',
  version,
  platform,
  filename,
  size: 1000,
  sha256: 'ab'.repeat(32),
  uploadedAt: 0,
});

describe('the License Manager packages in the portal', () => {
  it('lists the .deb under the system its tarball is for, the newest of each kind, Linux x86-64 first', () => {
    expect(systemOf('debian-amd64')).toBe('linux-x64');
    expect(systemOf('debian-arm64')).toBe('linux-arm64');
    expect(systemOf('linux-x64')).toBe('linux-x64');
    const systems = lmSystems([
      item('tessera-lm-0.2.0-linux-arm64.tar.gz', 'linux-arm64', '0.2.0'),
      item('tessera-lm-0.2.0-linux-x64.tar.gz', 'linux-x64', '0.2.0'),
      item('tessera-lm_0.1.0_amd64.deb', 'debian-amd64'),
      item('tessera-lm-0.1.0-linux-x64.tar.gz', 'linux-x64'),
      item('notes.txt', 'linux-x64'),
    ]);
    expect(systems.map((s) => [s.system, s.label, s.packages.tarball?.version, s.packages.deb?.version])).toEqual([
      ['linux-x64', 'Linux x86-64', '0.2.0', '0.1.0'],
      ['linux-arm64', 'Linux ARM64', '0.2.0', undefined],
    ]);
  });

  it("reads the visitor's system from the browser's words", () => {
    expect(visitorSystem('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/131.0')).toBe('linux-x64');
    expect(visitorSystem('Mozilla/5.0 (X11; Linux aarch64) AppleWebKit/537.36')).toBe('linux-arm64');
    expect(visitorSystem('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36')).toBe('windows-x64');
    expect(visitorSystem('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)')).toBe('darwin-x64');
    expect(visitorSystem('curl/8.0')).toBeNull();
  });

  it('gives the exact commands: download, check the sha256, install, configure, start, read the LMID; never npx', () => {
    const url = 'https://lc.example/downloads/pkg_1?expires=1&sig=abc';
    const tarball = tarballCommands(item('tessera-lm-0.1.0-linux-x64.tar.gz', 'linux-x64'), url, 'https://lc.example');
    expect(tarball.slice(1, 5)).toEqual([
      `curl -fLo tessera-lm-0.1.0-linux-x64.tar.gz '${url}'`,
      `echo '${'ab'.repeat(32)}  tessera-lm-0.1.0-linux-x64.tar.gz' | sha256sum -c -`,
      'tar -xzf tessera-lm-0.1.0-linux-x64.tar.gz -C /opt',
      'ln -sf /opt/tessera-lm/bin/tessera-lm /usr/local/bin/tessera-lm',
    ]);
    expect(tarball).toContain('curl -fo /etc/tessera-lm/trust-bundle.json https://lc.example/v1/trust-bundle');
    expect(tarball.at(-1)).toBe('tessera-lm --config /etc/tessera-lm/config.yaml info');
    const deb = debCommands(item('tessera-lm_0.1.0_amd64.deb', 'debian-amd64'), url, 'https://lc.example');
    expect(deb.slice(1, 4)).toEqual([
      `curl -fLo tessera-lm_0.1.0_amd64.deb '${url}'`,
      `echo '${'ab'.repeat(32)}  tessera-lm_0.1.0_amd64.deb' | sha256sum -c -`,
      'dpkg -i tessera-lm_0.1.0_amd64.deb',
    ]);
    expect(deb).toContain('systemctl enable --now tessera-lm');
    expect([...tarball, ...deb].filter((line) => line.includes('npx'))).toEqual([]);
  });
});
