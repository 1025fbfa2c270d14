import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidResidentId, maskPii } from '../../src/guard/index.js';
import { maskForLog } from '../../src/log/index.js';
import { identifier, normalise, residentId, type Identifier } from './support/pii.js';

// Properties of the PII mask over generated identifiers (resident ID numbers with their check digit,
// mobiles in their usual spellings, e-mail addresses, 16-19 digit card numbers; some in full-width
// characters) in generated surroundings: none survives maskPii or the logger's maskForLog.

const RUNS = Math.max(200, Math.min(5000, Number(process.env.FUZZ_RUNS ?? 300) || 300));

const HANZI = [...'的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但'];
const word = fc.oneof(
  fc.constantFrom('我的', '身份证', '号码', '请联系', '谢谢', '卡号', 'email', 'call me', '职称', '工程师', '，', '。', '：', ' ', '(', ')', '/', '\n', '“', '”', '、'),
  fc.string({ unit: fc.constantFrom(...HANZI), minLength: 1, maxLength: 4 }),
);
const surroundings = fc.array(word, { maxLength: 12 }).map((w) => w.join(''));
const SEPARATORS = [' ', '，', '：', '。', '\n', '（', '）', '/', '、', '“', '”'];

/** Text with identifiers in it, each set apart from digits and letters by a separator. */
const textWithIds = fc
  .array(fc.tuple(surroundings, fc.constantFrom(...SEPARATORS), identifier, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 3 })
  .chain((parts) => surroundings.map((tail) => ({ text: parts.map(([s, a, id, b]) => `${s}${a}${id.written}${b}`).join('') + tail, ids: parts.map(([, , id]) => id) })));

const survives = (masked: string, id: Identifier) => {
  const n = normalise(masked);
  return n.includes(id.value.toLowerCase()) || masked.includes(id.written);
};

describe('PII masking (properties)', () => {
  it('leaves no generated identifier in the masked text, and says which kinds it found', () => {
    fc.assert(
      fc.property(textWithIds, ({ text, ids }) => {
        const { text: masked, found } = maskPii(text);
        for (const id of ids) {
          expect(survives(masked, id), `${id.kind} ${id.written} in ${JSON.stringify(masked)}`).toBe(false);
          // A card number that happens to pass the ID check is masked as an ID; either way it is gone.
          expect(found.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('masks every string the logger is given, however deep', () => {
    fc.assert(
      fc.property(textWithIds, fc.integer({ min: 0, max: 4 }), ({ text, ids }, depth) => {
        let value: unknown = { message: text, err: new Error(`failed on ${text}`) };
        for (let i = 0; i < depth; i++) value = { nested: [value] };
        const logged = JSON.stringify(maskForLog(value));
        for (const id of ids) expect(survives(logged, id), `${id.written} in ${logged}`).toBe(false);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });

  it('leaves text without identifiers alone (years, durations, counts, policy numbers)', () => {
    const ordinary = fc
      .tuple(surroundings, fc.integer({ min: 0, max: 99_999_999 }), surroundings, fc.integer({ min: 1950, max: 2035 }))
      // Numbers set apart (two numbers run together into 11 digits starting 13 read as a mobile, rightly).
      .map(([a, n, b, year]) => `${a}${n}，${b}${year}年，工作${n % 40}年，第${n % 1000}号文件`);
    fc.assert(
      fc.property(ordinary, (text) => {
        expect(maskPii(text)).toEqual({ text, found: [] });
      }),
      { numRuns: RUNS },
    );
  });

  it('generates resident ID numbers whose check digit the guard accepts', () => {
    fc.assert(
      fc.property(residentId, (id) => {
        expect(isValidResidentId(id.value)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
