import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openLiveCorpus } from '../../src/corpus/live_corpus.js';
import { ParseCache, parserFingerprint } from '../../src/corpus/parse_cache.js';
import { loadCorpus } from '../../src/knowledge/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-parse-cache-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ParseCache', () => {
  const file = path.join(dir, 'unit', 'parsed.json');

  it('answers a later process from disk, and parses again what changed', () => {
    const first = new ParseCache(file);
    expect(first.get('doc:a', 'content a', () => ({ title: 'A' }))).toEqual({ title: 'A' });
    first.get('doc:b', 'content b', () => ({ title: 'B' }));
    expect(first.save()).toBe(true);

    const make = vi.fn(() => ({ title: 'A2' }));
    const second = new ParseCache(file);
    expect(second.get('doc:a', 'content a', make)).toEqual({ title: 'A' });
    expect(make).not.toHaveBeenCalled();
    // Same id, new content: a new parse. Same content under another kind or id: also a new parse.
    expect(second.get('doc:a', 'content a, edited', make)).toEqual({ title: 'A2' });
    expect(second.get('doc:c', 'content a', make)).toEqual({ title: 'A2' });
    expect(make).toHaveBeenCalledTimes(2);
    second.save();

    // Only what the last run used is kept: "b" was not asked for.
    const third = new ParseCache(file);
    expect(third.size).toBe(3);
    const again = vi.fn(() => 'parsed');
    third.get('doc:b', 'content b', again);
    expect(again).toHaveBeenCalledTimes(1);
  });

  it('ignores a file written by other parsing code, or a damaged one', () => {
    fs.writeFileSync(file, JSON.stringify({ format: 'tm-parse-someone-else', entries: [['x', 1]] }));
    expect(new ParseCache(file).size).toBe(0);
    fs.writeFileSync(file, '{"format": "tm-parse-');
    expect(new ParseCache(file).size).toBe(0);
    expect(parserFingerprint()).toMatch(/^tm-parse-[0-9a-f]{16}$/);
  });

  it('without a file it only parses', () => {
    const cache = new ParseCache();
    expect(cache.get('k', 'v', () => 1)).toBe(1);
    expect(cache.save()).toBe(false);
  });
});

describe('the live corpus across restarts', () => {
  it('a restart reads the same corpus from the cache, and sees a document edited in between', async () => {
    const knowledgeDir = path.join(dir, 'knowledge');
    fs.cpSync('knowledge', knowledgeDir, { recursive: true });
    const config = { knowledgeDir, dataDir: path.join(dir, 'data') };

    const first = await openLiveCorpus(config);
    // Bodies are read from the store while the corpus is open: copied before it closes.
    const docs = first.docs().map((d) => ({ ...d }));
    // Each stored document reads (spread) as the seed file parsed afresh reads.
    const seed = new Map(loadCorpus(knowledgeDir).docs.map((d) => [d.id, d]));
    for (const d of first.docs()) expect({ ...d }).toEqual(seed.get(d.id));
    const rules = first.rules();
    first.close();
    const cacheFile = path.join(config.dataDir, 'cache', 'parsed-items.json');
    expect(fs.existsSync(cacheFile)).toBe(true);
    // The cache holds front matter, not bodies (those are in the store already).
    const cached = fs.readFileSync(cacheFile, 'utf8');
    expect(cached).toContain(JSON.stringify(docs[0].title));
    expect(docs.filter((d) => cached.includes(JSON.stringify(d.body).slice(1, 60)))).toEqual([]);

    const second = await openLiveCorpus(config);
    expect(second.docs()).toEqual(docs);
    expect(second.rules()).toEqual(rules);
    second.close();

    // An edit to the seed between starts: the new text is served, not the cached parse.
    const victim = docs.find((d) => d.lang === 'en')!;
    const file = path.join(knowledgeDir, 'docs', `${victim.id}.md`);
    const edited = fs.readFileSync(file, 'utf8').replace(/^title: .*$/m, 'title: An edited title').trimEnd() + '\n\nA new closing line.\n';
    fs.writeFileSync(file, edited);
    const third = await openLiveCorpus(config);
    const after = third.docs().find((d) => d.id === victim.id)!;
    expect(after.title).toBe('An edited title');
    expect(after.body.endsWith('A new closing line.')).toBe(true);
    third.close();
  }, 120_000);
});

describe('document text', () => {
  it('is read from the corpus store, never from another corpus open in the same process at the same revision', async () => {
    const open = async (name: string, edit?: (markdown: string) => string) => {
      const knowledgeDir = path.join(dir, `text-${name}`, 'knowledge');
      fs.cpSync('knowledge', knowledgeDir, { recursive: true });
      if (edit) {
        const file = path.join(knowledgeDir, 'docs', 'green-channel.en.md');
        fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
      }
      return openLiveCorpus({ knowledgeDir, dataDir: path.join(dir, `text-${name}`, 'data') });
    };
    const a = await open('a');
    const b = await open('b', (md) => `${md.trimEnd()}\n\nA closing line only store B has.\n`);
    try {
      // Both stores imported the same files in the same order: the same revision numbers.
      expect(b.revision()).toBe(a.revision());
      const bodyIn = (corpus: typeof a) => corpus.docs().find((d) => d.id === 'green-channel.en')!.body;
      expect(bodyIn(b).endsWith('A closing line only store B has.')).toBe(true);
      expect(bodyIn(a)).not.toContain('only store B has');
      // What is served is what the store holds.
      expect(b.store().latest('doc', 'green-channel.en')!.content).toContain(bodyIn(b));
    } finally {
      a.close();
      b.close();
    }
  }, 120_000);
});
