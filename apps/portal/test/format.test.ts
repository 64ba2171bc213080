/** How the portal writes a file's size: decimal units as file managers show them, always with the exact count. */
import { describe, expect, it } from 'vitest';
import { packageFileName, sizeText } from '../src/format';

describe('sizeText', () => {
  it('writes small files in bytes only', () => {
    expect([0, 1, 999].map(sizeText)).toEqual(['0 bytes', '1 byte', '999 bytes']);
  });

  it('writes larger files in KB, MB, GB with the exact count beside', () => {
    expect(sizeText(1000)).toBe('1.0 KB (1,000 bytes)');
    expect(sizeText(1_234_567)).toBe('1.2 MB (1,234,567 bytes)');
    expect(sizeText(52_428_800)).toBe('52 MB (52,428,800 bytes)');
    expect(sizeText(3_500_000_000)).toBe('3.5 GB (3,500,000,000 bytes)');
  });

  it('moves to the next unit rather than writing 1000 of one', () => {
    expect(sizeText(999_999)).toBe('1.0 MB (999,999 bytes)');
    expect(sizeText(999_400)).toBe('999 KB (999,400 bytes)');
  });
});

describe('packageFileName', () => {
  it('keeps names the License Center accepts as they are', () => {
    expect(packageFileName('graphdb-2.4.1_linux+amd64.tar.gz')).toBe('graphdb-2.4.1_linux+amd64.tar.gz');
  });

  it('turns spaces, brackets and accents into names the License Center accepts', () => {
    expect(packageFileName('graphdb (1).tar.gz')).toBe('graphdb-1-.tar.gz');
    expect(packageFileName('Café Setup.exe')).toBe('Cafe-Setup.exe');
    expect(packageFileName('.hidden file')).toBe('hidden-file');
    expect(packageFileName('((()))')).toBe('package');
    expect(packageFileName('a'.repeat(300))).toHaveLength(200);
  });
});
