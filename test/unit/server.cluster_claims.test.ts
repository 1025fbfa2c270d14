import { describe, expect, it } from 'vitest';
import { ClaimTable } from '../../src/server/cluster.js';

// The primary's claims on WeChat messages (WORKERS > 1 without Redis): one worker answers a message, a re-send
// reaching another worker gets that answer, and a claim lapses after a minute.
describe('the primary\'s WeChat claims', () => {
  it('lets the first claim win and hands its answer to the others', () => {
    const t = new ClaimTable();
    expect(t.handle({ op: 'claim', key: 'u1:1' }, 0)).toBe(true);
    expect(t.handle({ op: 'claim', key: 'u1:1' }, 10)).toBe(false);
    expect(t.handle({ op: 'get', key: 'u1:1' }, 20)).toBeNull();
    expect(t.handle({ op: 'publish', key: 'u1:1', reply: '<xml>answer</xml>' }, 30)).toBe(true);
    expect(t.handle({ op: 'get', key: 'u1:1' }, 40)).toBe('<xml>answer</xml>');
    expect(t.handle({ op: 'claim', key: 'u1:2' }, 50)).toBe(true);
  });

  it('forgets a claim after a minute, so a message sent again later is answered afresh', () => {
    const t = new ClaimTable();
    t.handle({ op: 'claim', key: 'u2:1' }, 0);
    t.handle({ op: 'publish', key: 'u2:1', reply: 'old' }, 5);
    expect(t.handle({ op: 'claim', key: 'u2:1' }, 59_999)).toBe(false);
    expect(t.handle({ op: 'get', key: 'u2:1' }, 60_001)).toBeNull();
    expect(t.handle({ op: 'claim', key: 'u2:1' }, 60_002)).toBe(true);
  });
});
