// How an index folder stores its chunks: their fields as a table (chunk_table.ts), their texts in texts.bin (chunk_texts.ts).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fromChunkTable, toChunkTable } from '../../src/knowledge/chunk_table.js';
import { ChunkTextFile, OFFSETS_FILE, TEXTS_FILE } from '../../src/knowledge/chunk_texts.js';
import {
  buildAndActivateIndex,
  currentBuildId,
  indexRoot,
  loadCurrentIndex,
  retrieve,
  saveAndActivate,
  updateKnowledgeIndex,
  type Chunk,
  type KnowledgeIndex,
} from '../../src/knowledge/index.js';
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

describe("chunk texts stored beside the index", () => {
  it('a loaded index reads each text from the file, equal to the built one, and docs.json no longer holds them', async () => {
    const dataDir = newDir();
    const built = await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    const loaded = loadCurrentIndex(dataDir, hashed)!;

    expect(loaded.chunks.length).toBe(built.index.chunks.length);
    expect(plain(loaded)).toEqual(plain(built.index));
    // Chinese and English texts both come back whole.
    expect(loaded.chunks.some((c) => /[\u4e00-\u9fff]/.test(c.text))).toBe(true);
    expect(loaded.chunks.some((c) => c.lang === 'en' && c.text.length > 50)).toBe(true);
    // Serialised chunks still carry the text (eval reports, the admin API).
    expect(JSON.parse(JSON.stringify(loaded.chunks[0])).text).toBe(built.index.chunks[0].text);

    const stored = fs.readFileSync(path.join(folderOf(dataDir), 'docs.json'), 'utf8');
    const longest = built.index.chunks.reduce((a, c) => (c.text.length > a.text.length ? c : a));
    expect(stored).not.toContain(JSON.stringify(longest.text).slice(1, 60));
    expect(fs.statSync(path.join(folderOf(dataDir), TEXTS_FILE)).size).toBe(built.index.chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0));

    const question = 'What are the requirements for a senior engineer?';
    const options = { lang: 'en' as const, asOf: '2024-01-01' };
    const answers = async (index: KnowledgeIndex) => (await retrieve(index, question, options)).chunks.map((r) => [r.chunk.id, r.score, r.chunk.text]);
    expect(await answers(loaded)).toEqual(await answers(built.index));
  });

  it('keeps serving after its folder is pruned by later builds (the file stays open)', async () => {
    const dataDir = newDir();
    await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    const loaded = loadCurrentIndex(dataDir, hashed)!;
    const expected = plain(await buildAndActivateIndex(CORPUS_DIR, newDir(), hashed, { today: FIXTURE_TODAY }).then((r) => r.index));
    fs.rmSync(folderOf(dataDir), { recursive: true, force: true });
    expect(plain(loaded)).toEqual(expected);
  });

  it('an update mixes stored and new chunks; saved and loaded again, every text is the same', async () => {
    const dataDir = newDir();
    await buildAndActivateIndex(CORPUS_DIR, dataDir, hashed, { today: FIXTURE_TODAY });
    const loaded = loadCurrentIndex(dataDir, hashed)!;
    const corpus = loadFixtureCorpus();
    const changed = { ...corpus.docs[0], body: `${corpus.docs[0].body}\n\n## 新增\n\n更新后的材料提交窗口为每周三，逾期不再受理。\n` };
    const updated = await updateKnowledgeIndex(loaded, { upsert: [changed], remove: [], allDocs: [changed, ...corpus.docs.slice(1)] });
    expect(updated.chunks.at(-1)!.text).toContain('每周三');

    saveAndActivate(updated, dataDir);
    const reloaded = loadCurrentIndex(dataDir, hashed)!;
    expect(plain(reloaded)).toEqual(plain(updated));
    expect([...reloaded.deleted]).toEqual([...updated.deleted]);
  });

  it('reads each text of a file, and a table that does not match its texts file is refused', () => {
    const dir = newDir();
    const chunks = [{ text: '第一段' }, { text: '' }, { text: 'third, in English' }] as Chunk[];
    ChunkTextFile.write(dir, chunks);
    const file = ChunkTextFile.open(dir)!;
    expect([0, 1, 2].map((i) => file.text(i))).toEqual(['第一段', '', 'third, in English']);
    expect(() => file.text(3)).toThrow(/no chunk text 3/);

    const source = { docId: 'doc', title: 'T', lang: 'zh' as const, scope: 'titles' as const, series: [], topics: [] };
    const loaded = fromChunkTable({ sources: [source], headings: [['T']], rows: [0, 0, 0, 0, 0, 1, 0, 0, 2] }, file);
    expect(loaded.map((c) => [c.id, c.text])).toEqual([['doc#0', '第一段'], ['doc#1', ''], ['doc#2', 'third, in English']]);
    // Heading paths come back exactly, empty ones and empty headings too.
    const paths = [[], [''], ['', 'x'], ['T', '申报条件 / 材料']];
    const withPaths = fromChunkTable({ sources: [source], headings: paths, rows: [0, 0, 0, 0, 1, 1, 0, 2, 2] }, file);
    expect(withPaths.map((c) => c.headingPath)).toEqual(paths.slice(0, 3));
    expect(fromChunkTable({ sources: [source], headings: paths, rows: [0, 3, 0, 0, 3, 1, 0, 3, 2] }, file)[0].headingPath).toEqual(paths[3]);
    expect(() => fromChunkTable({ sources: [source], headings: [['T']], rows: [0, 0, 0] }, file)).toThrow(/holds 3 texts for 1 chunks/);

    // A texts file cut short (a damaged disk) is an error that says so, not a wrong text.
    fs.truncateSync(path.join(dir, TEXTS_FILE), 4);
    expect(() => ChunkTextFile.open(dir)!.text(2)).toThrow(/cut short/);
    expect(fs.existsSync(path.join(dir, OFFSETS_FILE))).toBe(true);
  });
});

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
