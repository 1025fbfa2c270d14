import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromChunkTable, toChunkTable } from '../../src/knowledge/chunk_table.js';
import { ChunkTextFile, OFFSETS_FILE, TEXTS_FILE } from '../../src/knowledge/chunk_texts.js';
import { buildAndActivateIndex, currentBuildId, indexRoot, loadCurrentIndex, saveAndActivate, updateKnowledgeIndex, type Chunk, type KnowledgeIndex } from '../../src/knowledge/index.js';
import { CORPUS_DIR, FIXTURE_TODAY, hashed, loadFixtureCorpus, tempDataDir } from '../fixtures/knowledge/fixtures.js';

const tempDirs: string[] = [];
const newDir = () => {
  const d = tempDataDir();
  tempDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

const folderOf = (dataDir: string) => path.join(indexRoot(dataDir), currentBuildId(dataDir)!);
const plain = (index: KnowledgeIndex) => index.chunks.map((c) => ({ ...c, text: c.text }));

describe('the chunk table of a stored index', () => {
  it('stores each document and heading once, and gives back equal chunks', async () => {
    const dataDir = newDir();
    const built = await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    const stored = JSON.parse(fs.readFileSync(path.join(folderOf(dataDir), 'docs.json'), 'utf8'));
    expect(stored.chunks).toBeUndefined();
    expect(stored.chunkTable.rows.length).toBe(3 * built.index.chunks.length);
    expect(stored.chunkTable.sources.length).toBe(new Set(built.index.chunks.map((c) => c.docId)).size);
    expect(stored.chunkTable.sources.length).toBeLessThan(built.index.chunks.length);

    const loaded = loadCurrentIndex(dataDir, hashed)!;
    expect(plain(loaded)).toEqual(plain(built.index));
    // Chunks of one document share its values, as a fresh build's do.
    const counts = new Map<string, number>();
    for (const c of loaded.chunks) counts.set(c.docId, (counts.get(c.docId) ?? 0) + 1);
    const [docId] = [...counts].find(([, n]) => n >= 2)!;
    const [first, second] = loaded.chunks.filter((c) => c.docId === docId);
    expect(second.series).toBe(first.series);
  });

  it("keeps an edited document's old chunks (tombstones) with the old version's fields", async () => {
    const dataDir = newDir();
    await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    const loaded = loadCurrentIndex(dataDir, hashed)!;
    const corpus = loadFixtureCorpus();
    const doc = corpus.docs[0];
    const retitled = { ...doc, title: `${doc.title}（修订）` };
    const updated = await updateKnowledgeIndex(loaded, { upsert: [retitled], remove: [], allDocs: [retitled, ...corpus.docs.slice(1)] });
    saveAndActivate(updated, dataDir);
    const reloaded = loadCurrentIndex(dataDir, hashed)!;
    expect(plain(reloaded)).toEqual(plain(updated));
    const titles = new Set(reloaded.chunks.filter((c) => c.docId === doc.id).map((c) => c.title));
    expect(titles).toEqual(new Set([doc.title, retitled.title]));
  });

  it('still loads a folder written before the table (whole chunks with their text inline)', async () => {
    const dataDir = newDir();
    const built = await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    const folder = folderOf(dataDir);
    const stored = JSON.parse(fs.readFileSync(path.join(folder, 'docs.json'), 'utf8'));
    delete stored.chunkTable;
    stored.chunks = plain(built.index);
    fs.writeFileSync(path.join(folder, 'docs.json'), JSON.stringify(stored));
    fs.rmSync(path.join(folder, TEXTS_FILE));
    fs.rmSync(path.join(folder, OFFSETS_FILE));
    expect(plain(loadCurrentIndex(dataDir, hashed)!)).toEqual(plain(built.index));
  });

  it('stores chunks whole when an id does not follow <docId>#<n>, and refuses a table that points nowhere', () => {
    const chunk = { id: 'odd-id', docId: 'doc', title: 't', lang: 'zh', scope: 'titles', series: [], topics: [], headingPath: ['t'], text: 'x' } as Chunk;
    expect(toChunkTable([chunk])).toBeUndefined();
    const dir = newDir();
    ChunkTextFile.write(dir, [chunk]);
    const texts = ChunkTextFile.open(dir)!;
    expect(() => fromChunkTable({ sources: [], headings: [['t']], rows: [0, 0, 0] }, texts)).toThrow(/source or heading/);
    expect(() => fromChunkTable({ sources: [], headings: [], rows: [0, 0] }, texts)).toThrow(/threes/);
  });
});
