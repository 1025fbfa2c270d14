import { describe, expect, it } from 'vitest';
import { MemorySignInFailures } from '../../src/server/sign_in_failures.js';

describe('failed admin sign-ins, counted per address in windows', () => {
  it('counts within a window and starts afresh when it ends', async () => {
    let now = 1_000;
    const f = new MemorySignInFailures(() => now);
    expect(await f.get('1.2.3.4')).toBeUndefined();
    await f.add('1.2.3.4', 60_000);
    await f.add('1.2.3.4', 60_000);
    expect(await f.get('1.2.3.4')).toEqual({ count: 2, resetAt: 61_000 });
    expect(await f.get('5.6.7.8')).toBeUndefined();
    now = 61_000;
    expect(await f.get('1.2.3.4')).toBeUndefined();
    await f.add('1.2.3.4', 60_000);
    expect(await f.get('1.2.3.4')).toEqual({ count: 1, resetAt: 121_000 });
  });

  it('hands out copies, so a caller cannot change the count', async () => {
    const f = new MemorySignInFailures(() => 0);
    await f.add('k', 1000);
    const w = (await f.get('k'))!;
    w.count = 99;
    expect((await f.get('k'))!.count).toBe(1);
  });
});
