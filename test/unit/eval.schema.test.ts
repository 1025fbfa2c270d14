import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, filterCases, loadDatasets, parseDataset } from '../../src/eval/schema.js';

const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'eval');

describe('dataset lines', () => {
  it('reads questions, conversations and retrieval lines, with defaults', () => {
    const text = [
      '{"id":"q1","lang":"zh","kind":"fact","question":"高工是什么？","must_mention":["副高|高级"]}',
      '',
      '{"id":"m1","lang":"en","kind":"multi_turn","turns":["Can I apply?","I have a master degree"],"ask_back":false,"eligibility":{"status":"eligible"}}',
      '{"id":"r1","lang":"en","query":"green channel","relevant":["green-channel.en"],"note":"concept"}',
    ].join('\n');
    const { cases, problems } = parseDataset(text, 'x.jsonl');
    expect(problems).toEqual([]);
    expect(cases.map((c) => [c.id, c.type, c.kind, c.line])).toEqual([
      ['q1', 'answer', 'fact', 1],
      ['m1', 'answer', 'multi_turn', 3],
      ['r1', 'retrieval', 'retrieval', 4],
    ]);
    const q1 = cases[0];
    expect(q1.type === 'answer' && q1.messages).toEqual(['高工是什么？']);
    expect(q1.type === 'answer' && q1.must_not).toEqual([]);
    const m1 = cases[1];
    expect(m1.type === 'answer' && m1.messages).toEqual(['Can I apply?', 'I have a master degree']);
  });

  it('names the file and line of every problem', () => {
    expect(() => loadDatasets(path.join(fixtures, 'broken'))).toThrow(DatasetError);
    try {
      loadDatasets(path.join(fixtures, 'broken'));
    } catch (err) {
      const problems = (err as DatasetError).problems.map((p) => `${path.basename(p.file)}:${p.line}: ${p.message}`);
      expect(problems).toEqual([
        'a.jsonl:2: question: needs exactly one of question or turns',
        expect.stringMatching(/^a\.jsonl:3: kind: /),
        'a.jsonl:4: must_mentions: Unrecognized key: "must_mentions"',
        expect.stringMatching(/^a\.jsonl:5: not valid JSON/),
        expect.stringMatching(/^b\.jsonl:1: id ok-1 is already used at .*a\.jsonl:1$/),
      ]);
      expect((err as Error).message).toContain('a.jsonl:2');
    }
  });

  it('rejects a line with neither question nor turns, a bad intent, status or lang', () => {
    const { problems } = parseDataset(
      [
        '{"id":"n","lang":"zh","kind":"fact"}',
        '{"id":"i","lang":"zh","kind":"fact","question":"q","intent":"chitchat"}',
        '{"id":"s","lang":"zh","kind":"eligibility","question":"q","eligibility":{"status":"maybe"}}',
        '{"id":"l","lang":"fr","kind":"fact","question":"q"}',
        '{"id":"t","lang":"zh","kind":"multi_turn","turns":[]}',
        '{"id":"r","lang":"zh","query":"q","relevant":[]}',
      ].join('\n'),
      'y.jsonl',
    );
    expect(problems.map((p) => `${p.line} ${p.message.split(':')[0]}`)).toEqual(['1 question', '2 intent', '3 eligibility.status', '4 lang', '5 turns', '6 relevant']);
  });

  it('loads a single file or every .jsonl of a folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tm-eval-ds-'));
    fs.writeFileSync(path.join(dir, 'b.jsonl'), '{"id":"b1","lang":"en","kind":"fact","question":"q"}\n');
    fs.writeFileSync(path.join(dir, 'a.jsonl'), '{"id":"a1","lang":"zh","kind":"out_of_scope","question":"q"}\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a dataset');
    expect(loadDatasets(dir).map((c) => c.id)).toEqual(['a1', 'b1']);
    expect(loadDatasets(path.join(dir, 'b.jsonl')).map((c) => c.id)).toEqual(['b1']);
    expect(() => loadDatasets(path.join(dir, 'missing'))).toThrow(/no such file/);
  });

  it('filters by kind and language, then limits', () => {
    const cases = loadDatasets(path.join(fixtures, 'small'));
    expect(filterCases(cases, { kind: 'adversarial' }).map((c) => c.id)).toEqual(['fx-forgery', 'fx-injection']);
    expect(filterCases(cases, { lang: 'en' }).every((c) => c.lang === 'en')).toBe(true);
    expect(filterCases(cases, { kind: 'retrieval', limit: 2 }).map((c) => c.id)).toEqual(['fx-r1', 'fx-r2']);
  });
});
