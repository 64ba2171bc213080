import { describe, expect, it } from 'vitest';
import { parseFlags } from '../src/flags.js';

const files: Record<string, string> = {
  'storaged.conf': '# nebula-style flag file\n--role=storage\n--node_id=s1\n--license_manager_url=10.0.0.5:9119\n\n--port=9780\n',
  'bad.conf': '--role=storage\nrole storage\n',
  'unknown.conf': '--meta_server_addrs=127.0.0.1:9559\n',
  'storaged-trust.conf': '--role=storage\n--node_id=s1\n--license_manager_url=10.0.0.5:9119\n--trust=trust.json\n',
};
const readFile = (path: string): string => {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
};
const parse = (...argv: string[]) => parseFlags(argv, readFile);
const message = (...argv: string[]) => {
  const result = parse(...argv);
  if (result.ok) throw new Error('expected a refusal');
  return result.message;
};

describe('graphdb flags', () => {
  it('reads --name=value and --name value, dashes or underscores, and nebula host:port for the License Manager', () => {
    const result = parse(
      '--role',
      'query',
      '--node-id=q1',
      '--license_manager_url=127.0.0.1:9119',
      '--storage_addrs=127.0.0.1:9779,h2:9779',
    );
    expect(result).toEqual({
      ok: true,
      flags: {
        role: 'query',
        nodeId: 'q1',
        licenseManagerUrls: ['http://127.0.0.1:9119'],
        localIp: '127.0.0.1',
        port: 9669,
        storageAddrs: ['127.0.0.1:9779', 'h2:9779'],
        heartbeatMs: null,
      },
    });
  });

  it('reads a flag file, and the command line wins over it', () => {
    const result = parse('--flagfile', 'storaged.conf', '--port=0');
    expect(result.ok && result.flags).toMatchObject({
      role: 'storage',
      nodeId: 's1',
      licenseManagerUrls: ['http://10.0.0.5:9119'],
      port: 0,
    });
  });

  it('refuses a node without a License Manager, saying what to give', () => {
    expect(message('--role=storage', '--node-id=s1')).toMatch(/--license_manager_url is missing: .*host:port/);
  });

  it('refuses a --trust left over from earlier releases, on the command line or in the flag file: the root is compiled in', () => {
    const lm = '--license_manager_url=127.0.0.1:9119';
    const sentence =
      "is no longer a flag: graphdb trusts only the vendor's root key compiled into it, and the License Manager serves the vendor's trust bundle; remove --trust (see README)";
    expect(message('--role=storage', '--node-id=s1', lm, '--trust=trust.json')).toBe(`--trust ${sentence}`);
    expect(message('--role=storage', '--node-id=s1', lm, '--trust', 'trust.json')).toBe(`--trust ${sentence}`);
    expect(message('--flagfile=storaged-trust.conf')).toBe(`--trust (storaged-trust.conf line 4) ${sentence}`);
    expect(parse('--role=storage', '--node-id=s1', lm)).toMatchObject({ ok: true });
  });

  it('names each mistake and its flag', () => {
    const lm = ['--license_manager_url=127.0.0.1:9119'];
    expect(message('--role=meta', '--node-id=m1', ...lm)).toBe('--role must be query or storage, not "meta"');
    expect(message('--role=storage', ...lm)).toMatch(/^--node_id is missing/);
    expect(message('--role=storage', '--node-id=s1', ...lm, '--port=70000')).toMatch(/--port must be a port number/);
    expect(message('--role=storage', '--node-id=s1', ...lm, '--bogus=1')).toMatch(/^unknown flag --bogus; the flags are /);
    expect(message('--role=storage', '--node-id=s1', ...lm, 'extra')).toMatch(/"extra" is not a flag/);
    expect(message('--role=storage', '--node-id=s1', '--port')).toBe('--port needs a value');
    expect(message('--role=query', '--node-id=q1', ...lm)).toMatch(/--storage_addrs is missing/);
    expect(message('--role=query', '--node-id=q1', ...lm, '--storage_addrs=a:1,nohost')).toMatch(/"nohost" is not host:port/);
    expect(message('--role=storage', '--node-id=s1', '--license_manager_url=ftp://x:1')).toMatch(/--license_manager_url must be host:port/);
    expect(message('--role=storage', '--node-id=s1', ...lm, '--heartbeat_ms=5')).toMatch(/--heartbeat_ms must be/);
  });

  it('takes the License Manager replicas as a comma-separated list, each once', () => {
    const node = ['--role=storage', '--node-id=s1'];
    expect(parse(...node, '--license_manager_url=lm-0:9119, https://lm-1:9119')).toMatchObject({
      ok: true,
      flags: { licenseManagerUrls: ['http://lm-0:9119', 'https://lm-1:9119'] },
    });
    expect(message(...node, '--license_manager_url=lm-0:9119,lm-0:9119')).toBe(
      '--license_manager_url names the same License Manager twice',
    );
    expect(message(...node, '--license_manager_url=,')).toBe('--license_manager_url needs at least one host:port');
    const nine = Array.from({ length: 9 }, (_, i) => `lm-${i}:9119`).join(',');
    expect(message(...node, `--license_manager_url=${nine}`)).toBe('--license_manager_url names at most 8 replicas, not 9');
  });

  it('says which file and line a flag file mistake is on, and when a file cannot be read', () => {
    expect(message('--flagfile=bad.conf')).toBe('"role storage" is not a --name=value line (bad.conf line 2)');
    expect(message('--flagfile=unknown.conf')).toMatch(/^unknown flag --meta_server_addrs \(unknown.conf line 1\)/);
    expect(message('--flagfile=missing.conf')).toMatch(/^cannot read the flag file missing.conf: ENOENT/);
  });
});
