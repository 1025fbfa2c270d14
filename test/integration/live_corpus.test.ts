import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorpusChangeError } from '../../src/corpus/index.js';
import { openTestService } from '../support/mentor_harness.js';

const doc = (fact: string, extra = '') => `---
id: test-wisteria.zh
title: 紫藤专项申报说明
lang: zh
scope: titles
${extra}---
# 紫藤专项申报说明

## 紫藤专项有什么要求

紫藤专项是本测试虚构的申报安排，紫藤专项要求申报人${fact}。
`;

describe('live corpus: changes are validated, versioned and live for the next question', () => {
  let service: Awaited<ReturnType<typeof openTestService>>;
  const ask = async (q: string) => (await service.mentor.handleTurn({ message: q })).reply;

  beforeAll(async () => {
    service = await openTestService();
  });
  afterAll(() => service?.close());

  it('adds, updates, deletes and rolls back a document, each live at once', async () => {
    const created = await service.corpus.putDocument(doc('提交7份紫藤材料'), 'tester', 'new fact');
    expect(created.written[0]).toMatchObject({ id: 'test-wisteria.zh', version: 1 });
    expect(await ask('紫藤专项有什么要求')).toContain('7份紫藤材料');

    await service.corpus.putDocument(doc('提交9份紫藤材料'), 'tester', 'changed fact');
    const updated = await ask('紫藤专项有什么要求');
    expect(updated).toContain('9份紫藤材料');
    expect(updated).not.toContain('7份紫藤材料');

    await service.corpus.removeItem('doc', 'test-wisteria.zh', 'tester', 'gone');
    expect(await ask('紫藤专项有什么要求')).not.toContain('紫藤材料');

    await service.corpus.rollbackItem('doc', 'test-wisteria.zh', 1, 'tester');
    expect(await ask('紫藤专项有什么要求')).toContain('7份紫藤材料');

    const history = service.corpus.store().history('doc', 'test-wisteria.zh');
    expect(history.map((v) => [v.version, v.content === null])).toEqual([
      [1, false],
      [2, false],
      [3, true],
      [4, false],
    ]);
    const audit = service.corpus.store().audit({ itemId: 'test-wisteria.zh' });
    expect(audit.map((a) => a.action)).toEqual(['rollback', 'delete', 'update', 'create']);
  });

  it('rejects an invalid change with the field at fault, and changes nothing', async () => {
    const before = service.corpus.revision();
    const indexBefore = service.index();
    await expect(service.corpus.putDocument(doc('x', 'lang: fr\n'), 'tester', 'bad lang')).rejects.toBeInstanceOf(CorpusChangeError);
    const error = await service.corpus.putDocument(doc('x', 'translation_of: no-such-doc.en\n'), 'tester', 'dangling').catch((e: CorpusChangeError) => e);
    expect((error as CorpusChangeError).problems).toEqual([expect.objectContaining({ field: 'translation_of' })]);
    expect(service.corpus.revision()).toBe(before);
    expect(service.index()).toBe(indexBefore);
  });

  it('serialises 20 concurrent updates: all land, in order, none lost', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => service.corpus.putDocument(doc(`提交${i + 100}份紫藤材料`), `writer-${i}`, `update ${i}`)));
    const versions = results.map((r) => r.written[0].version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(20);
    const history = service.corpus.store().history('doc', 'test-wisteria.zh').slice(-20);
    expect(history.map((v) => v.author)).toEqual(Array.from({ length: 20 }, (_, i) => `writer-${i}`));
    expect(await ask('紫藤专项有什么要求')).toContain('119份紫藤材料');
  });

  it('rolls the whole corpus back to an earlier revision', async () => {
    const revision = service.corpus.revision();
    await service.corpus.putDocument(doc('提交1份紫藤材料'), 'tester', 'later change');
    await service.corpus.rollbackCorpus(revision, 'tester');
    expect(await ask('紫藤专项有什么要求')).toContain('119份紫藤材料');
    expect(service.corpus.store().audit({ limit: 1 })[0].action).toBe('corpus_rollback');
  });

  it('picks up a change another process made to the store', async () => {
    service.corpus.store().apply([{ kind: 'doc', id: 'test-wisteria.zh', content: doc('提交3份紫藤材料'), author: 'other-process', summary: 'direct write' }]);
    expect(await service.corpus.sync()).toBe(true);
    expect(await ask('紫藤专项有什么要求')).toContain('3份紫藤材料');
  });
});
