import { describe, expect, it } from 'vitest';
import { checkEventTypes, matchesEventType } from './webhooks-filters.js';
import { retryDelayMs, shouldGiveUp } from './webhooks-retry.js';

const policy = { baseMs: 1000, maxMs: 600_000, maxAttempts: 5, maxAgeMs: 86_400_000 };

describe('webhook retry policy', () => {
  it('doubles from the base up to the cap, jittered within the upper half of each step', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3].map((n) => retryDelayMs(policy, n, () => 0))).toEqual([500, 1000, 2000]);
    expect(retryDelayMs(policy, 30, () => 1)).toBe(600_000);
    expect(retryDelayMs(policy, 1000, () => 0.5)).toBe(450_000);
  });

  it('gives up after the attempt budget or the age budget', () => {
    expect(shouldGiveUp(policy, { attempts: 4, sinceMs: 0 }, 1000)).toBe(false);
    expect(shouldGiveUp(policy, { attempts: 5, sinceMs: 0 }, 1000)).toBe(true);
    expect(shouldGiveUp(policy, { attempts: 1, sinceMs: 0 }, 86_400_000)).toBe(true);
  });
});

describe('webhook event type filters', () => {
  it('accepts known types, domain wildcards and *; refuses the unknown and the empty', () => {
    expect(checkEventTypes(['device.accepted', 'device.*', '*', 'device.accepted'])).toEqual([
      'device.accepted',
      'device.*',
      '*',
    ]);
    expect(() => checkEventTypes([])).toThrow(/must not be empty/);
    expect(() => checkEventTypes(['device.exploded'])).toThrow(/unknown event type/);
    expect(() => checkEventTypes(['nothing.*'])).toThrow(/unknown event type/);
  });

  it('matches exact types, prefixes and everything', () => {
    expect(matchesEventType(['device.*'], 'device.accepted')).toBe(true);
    expect(matchesEventType(['device.*'], 'deployment.created')).toBe(false);
    expect(matchesEventType(['device.accepted'], 'device.accepted')).toBe(true);
    expect(matchesEventType(['*'], 'bootstrap.fetched')).toBe(true);
    expect(matchesEventType(['bootstrap.fetched'], 'bootstrap.failed')).toBe(false);
  });
});
