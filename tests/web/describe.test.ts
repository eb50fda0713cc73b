import { describe, expect, it } from 'vitest';
import { describeHead } from '../../web/src/models/describe';

const base = { entropy: 3, previous: 0.1, self: 0.1, next: 0.1, first: 0.1, punct: 0.05, max: 0.3, rows: 100 };

describe('describeHead', () => {
  it('names the dominant pattern with its share', () => {
    expect(describeHead({ ...base, previous: 0.81 }, 'self')).toBe('mostly attends to the previous token: 81%');
    expect(describeHead({ ...base, first: 0.42 }, 'self')).toBe('often attends to the first token: 42%');
    expect(describeHead({ ...base, self: 0.66 }, 'self')).toBe('mostly attends to itself: 66%');
  });
  it('describes focus and spread otherwise', () => {
    expect(describeHead({ ...base, max: 0.7 }, 'self')).toBe('focused: its top key gets 70% on average');
    expect(describeHead({ ...base, entropy: 3.17 }, 'self')).toBe('broad: spreads over about 9 tokens');
    expect(describeHead({ ...base, max: 0.74 }, 'cross')).toBe('sharp alignment: its top source position gets 74%');
  });
});

describe('describeHead, next token', () => {
  it('names heads that look ahead', () => {
    expect(describeHead({ entropy: 1, previous: 0.05, self: 0.05, next: 0.84, first: 0.02, punct: 0.01, max: 0.86, rows: 9 }, 'self')).toBe(
      'mostly attends to the next token: 84%',
    );
  });
});
