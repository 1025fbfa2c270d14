import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openMentorService } from '../../src/mentor/index.js';
import { tempDataDir } from '../fixtures/channels/harness.js';

// OFFLINE_EMBEDDING_DIM sizes the offline vectors: the index is built at that size, rebuilt when it
// changes, and answers either way.
describe('OFFLINE_EMBEDDING_DIM', () => {
  const dataDir = tempDataDir();
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const open = (env: Record<string, string>) => openMentorService(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }));

  it('is 256 unless set, and takes a whole number from 32 to 2048', () => {
    expect(loadConfig({}).OFFLINE_EMBEDDING_DIM).toBe(256);
    expect(loadConfig({ OFFLINE_EMBEDDING_DIM: '128' }).OFFLINE_EMBEDDING_DIM).toBe(128);
    for (const bad of ['16', '100.5', 'small', '4096']) expect(() => loadConfig({ OFFLINE_EMBEDDING_DIM: bad })).toThrow(/OFFLINE_EMBEDDING_DIM/);
  });

  it('builds the vector index at the size set, and rebuilds it when the size changes', async () => {
    const small = await open({ OFFLINE_EMBEDDING_DIM: '128' });
    try {
      expect(small.index().manifest).toMatchObject({ dim: 128, embedder: 'hashed-v1-d128' });
      const turn = await small.mentor.handleTurn({ sessionId: 'dim-128', message: '高级工程师需要什么条件' });
      expect(turn.citations.length).toBeGreaterThan(0);
    } finally {
      small.close();
    }
    const usual = await open({});
    try {
      expect(usual.index().manifest).toMatchObject({ dim: 256, embedder: 'hashed-v1-d256' });
    } finally {
      usual.close();
    }
  }, 60_000);
});
