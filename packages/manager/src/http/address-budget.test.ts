import { describe, expect, it } from 'vitest';
import { AddressBudget } from './address-budget.js';

describe('AddressBudget', () => {
  it('gives each address a burst of perMinute, then perMinute a minute, counted apart', () => {
    let now = 0;
    const budget = new AddressBudget(2, () => now);
    expect([budget.take('10.0.0.1'), budget.take('10.0.0.1'), budget.take('10.0.0.1')]).toEqual([true, true, false]);
    expect(budget.retryAfterSeconds('10.0.0.1')).toBe(30);
    expect(budget.take('10.0.0.2')).toBe(true);
    now += 29_999;
    expect(budget.take('10.0.0.1')).toBe(false);
    now += 30_001;
    expect(budget.take('10.0.0.1')).toBe(true);
  });

  it('counts an IPv6 address by its /64 and an IPv4-mapped address as the IPv4 one', () => {
    const budget = new AddressBudget(1, () => 0);
    expect(budget.take('2001:db8:1:2::1')).toBe(true);
    expect(budget.take('2001:db8:1:2:ffff:0:0:7')).toBe(false);
    expect(budget.take('2001:db8:1:3::1')).toBe(true);
    expect(budget.take('192.0.2.7')).toBe(true);
    expect(budget.take('::ffff:192.0.2.7')).toBe(false);
  });

  it('gives a clock stepped back no tokens and takes none away', () => {
    let now = 60_000;
    const budget = new AddressBudget(1, () => now);
    expect(budget.take('10.0.0.1')).toBe(true);
    now = 0;
    expect(budget.take('10.0.0.1')).toBe(false);
    now = 60_000;
    expect(budget.take('10.0.0.1')).toBe(true);
  });
});
