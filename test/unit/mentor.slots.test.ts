import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config.js';
import { findDurations } from '../../src/mentor/durations.js';
import { asksOfTitleInPlay, isAboutRouteTopic, plainQuestion, rewriteFollowUp, topicNames, withImpliedOverseasQualification } from '../../src/mentor/followup.js';
import { loadLexicon } from '../../src/mentor/lexicon.js';
import { extractFacts, mergeFacts, requirementAskedAbout } from '../../src/mentor/slots.js';

const lex = loadLexicon(path.join(REPO_ROOT, 'knowledge', 'slots.yaml'));

describe('durations', () => {
  it.each([
    ['两年半', 2.5],
    ['三年半', 3.5],
    ['工作5年了', 5],
    ['2.5年', 2.5],
    ['十二年', 12],
    ['半年', 0.5],
    ['18个月', 1.5],
    ['two and a half years', 2.5],
    ['a year and a half', 1.5],
    ['3 years', 3],
    ['6 months', 0.5],
    // "5+ years" as a CV says it: at least the number.
    ['5+ years', 5],
    ['10+ yrs', 10],
  ])('%s = %d years', (text, years) => {
    const found = findDurations(text);
    expect(found).toHaveLength(1);
    expect(found[0].years).toBeCloseTo(years);
  });

  it('reads years and months said together as one duration ("4年零8个月")', () => {
    for (const [text, years] of [['工作了4年零8个月', 4 + 8 / 12], ['4年8个月', 4 + 8 / 12], ['三年零六个月', 3.5], ['2年又3个月', 2.25], ['4 years and 8 months', 4 + 8 / 12]] as const) {
      const found = findDurations(text);
      expect(found, text).toHaveLength(1);
      expect(found[0].years, text).toBeCloseTo(years);
    }
    // Two durations of two things stay two.
    expect(findDurations('做了3年，社保交了6个月').map((d) => d.years)).toEqual([3, 0.5]);
  });

  it('does not read a calendar year as a duration', () => {
    expect(findDurations('二〇二一年三月毕业')).toEqual([]);
    expect(findDurations('2024年的通知')).toEqual([]);
    expect(findDurations('the 2025 years notice')).toEqual([]);
  });

  it('does not read the month of a date as a duration ("2021年3月参加工作"), while 3个月 is one', () => {
    expect(findDurations('2021年3月参加工作')).toEqual([]);
    expect(findDurations('2021年 3月取得')).toEqual([]);
    expect(findDurations('社保交了3个月')[0].years).toBeCloseTo(0.25);
  });

  // The years are never overstated: "almost 5" must not meet a 5-year rule, "5 or 6" is at least 5.
  it.each([
    ['快3年了', 2.9],
    ['将近5年', 4.9],
    ['工作不到3年', 2.9],
    ['工作3年不到', 2.9],
    ['nearly 5 years', 4.9],
    ['less than 3 years', 2.9],
    ['almost two years', 1.9],
    ['干了五六年', 5],
    ['一两年', 1],
    ['5-6年', 5],
    ['5到6年', 5],
    ['5-6 years', 5],
    ['5 to 6 years', 5],
    ['快12个月', 11 / 12],
  ])('%s is taken as %d years', (text, years) => {
    const found = findDurations(text);
    expect(found).toHaveLength(1);
    expect(found[0].years).toBeCloseTo(years);
  });
});

describe('extractFacts', () => {
  it.each([
    ['本科毕业7年，没有任何职称，想评高级工程师', 'none'],
    ['我目前还没有职称', 'none'],
    ["I don't have any professional title yet", 'none'],
    ['我没有高级职称，现在是工程师', 'intermediate'],
  ])('reads the title held from "%s"', (text, level) => {
    expect(extractFacts(text, lex).facts.currentTitle?.level).toBe(level);
  });

  it.each([
    ['I have been an Engineer since 2020', '2020-12-31'],
    ['I got my engineer title in March 2021', '2021-03-31'],
    ['我2021年3月评上工程师', '2021-03-31'],
    ['我是工程师，2019年取得的', '2019-12-31'],
  ])('reads when the title held was obtained from "%s" (the end of the year or month said)', (text, obtained) => {
    expect(extractFacts(text, lex).facts.currentTitle).toMatchObject({ level: 'intermediate', obtained });
  });

  it('reads a title of the very level and series asked for as the job, and its years as years in the specialty', () => {
    const job = extractFacts("I've been working as an engineer for 6 years. Can I apply for intermediate?", lex).facts;
    expect(job.currentTitle).toBeUndefined();
    expect(job).toMatchObject({ yearsInSpecialty: 6, targetLevel: 'intermediate', series: 'engineering' });
    // Another series at the same level is a title held (a transfer), not a job.
    expect(extractFacts('我是经济师，想评工程师', lex).facts).toMatchObject({ currentTitle: { level: 'intermediate' }, targetLevel: 'intermediate' });
  });

  it.each(["bachelor's, science degree", "a master's in EE", 'MSc in computer science'])('reads a science or engineering degree from "%s"', (text) => {
    expect(extractFacts(text, lex).facts.education?.fieldRelated).toBe(true);
  });

  it('reads a bare title and years as the title held when that is what was just asked', () => {
    const asked = ['currentTitle.level', 'currentTitle.yearsHeld'];
    expect(extractFacts('工程师，拿了6年', lex, asked).facts).toMatchObject({ currentTitle: { level: 'intermediate', yearsHeld: 6 } });
    expect(extractFacts('工程师，拿了6年', lex, asked).facts.targetLevel).toBeUndefined();
    expect(extractFacts('6年', lex, ['currentTitle.yearsHeld']).facts).toEqual({ currentTitle: { yearsHeld: 6 } });
    // Without the question, the same words name a target and work years; a stated target stays a target.
    expect(extractFacts('工程师，6年', lex).facts).toMatchObject({ targetLevel: 'intermediate', yearsInSpecialty: 6 });
    expect(extractFacts('想评高级工程师', lex, asked).facts).toMatchObject({ targetLevel: 'associate_senior' });
    expect(extractFacts('工作了6年', lex, ['currentTitle.yearsHeld']).facts).toEqual({ yearsInSpecialty: 6 });
  });

  it('reads degree, years and the target title from a Chinese message', () => {
    const { facts } = extractFacts('我硕士毕业，工作两年半了，能评工程师吗？', lex);
    expect(facts.education?.degree).toBe('master');
    expect(facts.yearsInSpecialty).toBe(2.5);
    expect(facts.targetLevel).toBe('intermediate');
    expect(facts.series).toBe('engineering');
  });

  it('tells the current title from the target', () => {
    const { facts } = extractFacts('我是工程师，聘任5年了，想评高工', lex);
    expect(facts.currentTitle?.level).toBe('intermediate');
    expect(facts.currentTitle?.yearsHeld).toBe(5);
    expect(facts.targetLevel).toBe('associate_senior');
  });

  it('reads English facts', () => {
    const { facts } = extractFacts("I have a bachelor's degree and 3 years of experience, can I apply for engineer in Shanghai?", lex);
    expect(facts.education?.degree).toBe('bachelor');
    expect(facts.yearsInSpecialty).toBe(3);
    expect(facts.targetLevel).toBe('intermediate');
    expect(facts.jurisdiction).toBe('shanghai');
  });

  it('reads no residence fact from a question whether one is required, and names the one asked about', () => {
    for (const q of ['我需要居住证吗？', '没有上海户口要不要居住证', 'Do I need a residence permit?', 'is a hukou required?']) expect(extractFacts(q, lex).facts.residence, q).toBeUndefined();
    expect(requirementAskedAbout('我需要居住证吗？')).toBe('residence.residencePermit');
    expect(requirementAskedAbout('Do applicants need a Shanghai hukou?')).toBe('residence.hukou');
    expect(requirementAskedAbout('我有居住证，能评吗')).toBeUndefined();
    expect(extractFacts('I have a residence permit', lex).facts.residence?.residencePermit).toBe(true);
  });

  it('reads a job named like a title (software engineer, 测试工程师, works as an accountant) as the field, not a title held', () => {
    const job = extractFacts("I'm a software engineer with a master's degree and 3 years of experience", lex).facts;
    expect(job).toMatchObject({ series: 'engineering', yearsInSpecialty: 3, education: { degree: 'master' } });
    expect(job.currentTitle).toBeUndefined();
    expect(extractFacts('I work as an accountant', lex).facts).toEqual({ series: 'accounting' });
    expect(extractFacts('我是测试工程师，本科，工作5年', lex).facts).toMatchObject({ series: 'engineering', yearsInSpecialty: 5 });
    expect(extractFacts('我是测试工程师，本科，工作5年', lex).facts.currentTitle).toBeUndefined();
    // In English, being one is the job; a title held is said as one, with a word of titles or with its date.
    expect(extractFacts("I'm an accountant with a bachelor's degree and 5 years experience", lex).facts).toEqual({ series: 'accounting', yearsInSpecialty: 5, education: { degree: 'bachelor' } });
    expect(extractFacts("I've been an engineer for 6 years", lex).facts).toEqual({ series: 'engineering', yearsInSpecialty: 6 });
    expect(extractFacts("I'm an Engineer since 2019", lex).facts.currentTitle?.level).toBe('intermediate');
    expect(extractFacts('I am a certified accountant (intermediate title)', lex).facts.currentTitle?.level).toBe('intermediate');
    expect(extractFacts('I hold the engineer title', lex).facts.currentTitle?.level).toBe('intermediate');
    expect(extractFacts("I have a master's, got the engineer title in 2023", lex).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2023-12-31' });
    expect(extractFacts("I'm an engineer with a master's, appointed 6 years ago", lex).facts.currentTitle).toEqual({ level: 'intermediate', yearsHeld: 6 });
    // The title of the question is the one wanted; it says nothing of the one held.
    expect(extractFacts("I'm an engineer with 8 years of experience, can I get the senior engineer title?", lex).facts).toEqual({ series: 'engineering', yearsInSpecialty: 8, targetLevel: 'associate_senior' });
    // Asked which title one holds, "I'm an engineer" answers it.
    expect(extractFacts("I'm an engineer", lex, ['currentTitle.level']).facts.currentTitle?.level).toBe('intermediate');
    // A title on its own still reads as one held in Chinese.
    expect(extractFacts('我是工程师，想评高工', lex).facts.currentTitle?.level).toBe('intermediate');
  });

  it('refuses a slot file whose special-route fact is not one the rules know, naming it', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tm-slots-')), 'slots.yaml');
    const text = fs.readFileSync(path.join(REPO_ROOT, 'knowledge', 'slots.yaml'), 'utf8').replace('specialRoute.highSkilledWorker, forms', 'specialRoute.highSkilledWorkr, forms');
    fs.writeFileSync(file, text);
    expect(() => loadLexicon(file)).toThrow(/route_facts\.\d+\.fact/);
  });

  it('reads the special route asked about and what the asker says that meets its conditions', () => {
    const green = extractFacts('我是高级工程师，有重大成果，能走绿色通道评正高吗', lex);
    expect(green.route).toBe('green_channel');
    expect(green.facts.specialRoute).toEqual({ outstandingAchievements: true });
    expect(extractFacts('我没有重大成果', lex).facts.specialRoute).toEqual({ outstandingAchievements: false });
    expect(extractFacts('Can I take the direct train? Peer experts will recommend me', lex)).toMatchObject({ route: 'direct_train', facts: { specialRoute: { peerExpertRecommendation: true } } });
    expect(extractFacts('我本科，工作5年', lex).route).toBeUndefined();
  });

  it('reads the field of work as the series ("做了10年电气工程")', () => {
    expect(extractFacts('我是大专，做了10年电气工程', lex).facts).toMatchObject({ series: 'engineering', yearsInSpecialty: 10 });
  });

  it('reads a major as whether the degree is in science or engineering, when asked or when said as studied', () => {
    expect(extractFacts('学的是工商管理', lex, ['education.fieldRelated']).facts).toEqual({ education: { fieldRelated: false } });
    expect(extractFacts('本科，计算机专业', lex).facts.education).toEqual({ fieldRelated: true, degree: 'bachelor' });
    expect(extractFacts("I have a master's in business administration", lex).facts.education).toEqual({ fieldRelated: false, degree: 'master' });
    // A major is not the series applied in; a job in a field still names it.
    expect(extractFacts('学的是会计', lex).facts.series).toBeUndefined();
    expect(extractFacts('我是做会计的', lex).facts.series).toBe('accounting');
  });

  it('reads a major said on its own beside a degree ("我本科，土木工程") as the degree\'s field, but not a line of work', () => {
    expect(extractFacts('我本科，土木工程，做了6年，有居住证', lex).facts.education).toEqual({ fieldRelated: true, degree: 'bachelor' });
    expect(extractFacts('本科，工商管理，想评工程师', lex).facts.education).toEqual({ fieldRelated: false, degree: 'bachelor' });
    // Bare 工程 is as often the work as the major; "做土木工程的" is the work; no degree, no claim on one.
    expect(extractFacts('工程，本科，5年', lex).facts.education).toEqual({ degree: 'bachelor' });
    expect(extractFacts('我是做土木工程的，本科', lex).facts.education).toEqual({ degree: 'bachelor' });
    expect(extractFacts('土木工程，做了6年', lex).facts.education).toBeUndefined();
  });

  it('reads the years since an English graduation ("graduated in 2020 and have worked … since"), and a title held since a later year', () => {
    const today = new Date('2026-11-25T00:00:00Z');
    expect(extractFacts("I graduated with a bachelor's in 2020 and have worked in civil engineering since", lex, [], today).facts.yearsInSpecialty).toBeCloseTo(5.9, 1);
    expect(extractFacts("I got my master's in 2023, working as an electrical engineer since then", lex, [], today).facts.yearsInSpecialty).toBeCloseTo(2.9, 1);
    const held = extractFacts('I graduated in 2015 and have been an Engineer since 2020', lex, [], today).facts;
    expect(held.currentTitle).toEqual({ level: 'intermediate', obtained: '2020-12-31' });
    expect(held.yearsInSpecialty).toBeUndefined();
  });

  it('reads "2020年评的工程师", "2019年拿的中级职称" as the title held, dated, and "我想评的是工程师" as the one wanted', () => {
    expect(extractFacts('我2015年本科毕业，2020年评的工程师，上海户口', lex).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2020-12-31' });
    expect(extractFacts('2019年拿的中级职称，想评副高', lex).facts).toMatchObject({ currentTitle: { level: 'intermediate', obtained: '2019-12-31' }, targetLevel: 'associate_senior' });
    expect(extractFacts('我想评的是工程师', lex).facts).toEqual({ targetLevel: 'intermediate', series: 'engineering' });
  });

  it('reads paying for a time as social insurance when the message or the question asked is about it ("有社保，交了2年")', () => {
    expect(extractFacts('有社保，交了2年', lex).facts).toEqual({ residence: { socialInsuranceMonthsLast24: 24 } });
    expect(extractFacts('交了18个月', lex, ['residence']).facts).toEqual({ residence: { socialInsuranceMonthsLast24: 18 } });
    expect(extractFacts('交了2年', lex, ['residence']).facts).toEqual({ residence: { socialInsuranceMonthsLast24: 24 } });
    // Years of work stay years of work.
    expect(extractFacts('工作8年了', lex, ['residence']).facts).toEqual({ yearsInSpecialty: 8 });
    expect(extractFacts('我做工程，交了2年', lex).facts.yearsInSpecialty).toBe(2);
  });

  it('reads a bare English level word as the level asked about ("what about senior?"), but not inside a longer message', () => {
    expect(extractFacts('what about senior?', lex).facts).toEqual({ targetLevel: 'associate_senior' });
    expect(extractFacts('and intermediate?', lex).facts).toEqual({ targetLevel: 'intermediate' });
    expect(extractFacts("I'm a senior developer", lex).facts.targetLevel).toBeUndefined();
    expect(extractFacts('I finished senior high school', lex).facts.targetLevel).toBeUndefined();
  });

  it('reads a time from now ("in 2 years", "两年后", "明年") apart from years of work', () => {
    expect(extractFacts('ok what about in 2 years?', lex)).toMatchObject({ facts: {}, yearsLater: 2 });
    expect(extractFacts('两年后呢', lex)).toMatchObject({ facts: {}, yearsLater: 2 });
    expect(extractFacts('再过一年呢', lex).yearsLater).toBe(1);
    expect(extractFacts('那明年呢？', lex).yearsLater).toBe(1);
    expect(extractFacts('in 3 years of work', lex)).toMatchObject({ facts: { yearsInSpecialty: 3 } });
    expect(extractFacts('我工作5年了', lex).yearsLater).toBeUndefined();
    // After an event, not from now.
    expect(extractFacts('我毕业3年后评了助理工程师', lex).yearsLater).toBeUndefined();
    expect(extractFacts('我本科，做工程技术工作3年，两年后能评工程师吗', lex)).toMatchObject({ yearsLater: 2, facts: { yearsInSpecialty: 3 } });
  });

  it('reads a title that ends its clause as held when the next clause says so ("工程师，聘了6年"), not when a title is wanted', () => {
    expect(extractFacts('工程师，聘了6年', lex).facts).toMatchObject({ currentTitle: { level: 'intermediate', yearsHeld: 6 }, series: 'engineering' });
    expect(extractFacts('工程师，聘了6年', lex).facts.targetLevel).toBeUndefined();
    expect(extractFacts('我想评高工，聘了6年了', lex).facts.targetLevel).toBe('associate_senior');
  });

  it('reads "做编辑8年" as the job and its years, not as a title held (the title is asked)', () => {
    expect(extractFacts('我在出版社做编辑8年了，本科，想评副编审', lex).facts).toMatchObject({ series: 'publishing', yearsInSpecialty: 8, targetLevel: 'associate_senior' });
    expect(extractFacts('我在出版社做编辑8年了，本科，想评副编审', lex).facts.currentTitle).toBeUndefined();
    expect(extractFacts('我做会计师5年了', lex).facts).toEqual({ series: 'accounting', yearsInSpecialty: 5 });
  });

  it('reads "N年后评了" as a time after an event, and "评了N年" as years the title has been held', () => {
    expect(extractFacts('我毕业3年后评了助理工程师', lex).facts).toEqual({ currentTitle: { level: 'assistant' }, series: 'engineering' });
    expect(extractFacts('我工作3年后评了助理工程师，现在工作6年了', lex).facts).toMatchObject({ currentTitle: { level: 'assistant' }, yearsInSpecialty: 6 });
    expect(extractFacts('我工作3年后评了助理工程师，现在工作6年了', lex).facts.currentTitle?.yearsHeld).toBeUndefined();
    expect(extractFacts('助理工程师评了3年了', lex).facts).toMatchObject({ currentTitle: { level: 'assistant', yearsHeld: 3 } });
    expect(extractFacts('助理工程师评了3年了', lex).facts.targetLevel).toBeUndefined();
  });

  it('reads "just graduated" as no title and no years of work yet, unless the message says otherwise', () => {
    expect(extractFacts('我是博士，刚毕业，能直接评高工吗', lex).facts).toMatchObject({ yearsInSpecialty: 0, currentTitle: { level: 'none' }, education: { degree: 'phd' } });
    expect(extractFacts("I just graduated with a master's", lex).facts).toMatchObject({ yearsInSpecialty: 0, currentTitle: { level: 'none' } });
    expect(extractFacts('应届生，在实习单位做了1年', lex).facts.yearsInSpecialty).toBe(1);
  });

  it('counts the years in the field from when the work began ("2018年毕业，一直在…", "working … since 2019"), never overstated', () => {
    const today = new Date('2026-11-25T00:00:00Z');
    const zh = extractFacts('我2018年本科毕业，一直在上海做结构设计，2020年评了助理工程师', lex, [], today).facts;
    expect(zh.yearsInSpecialty).toBe(7.9); // from 2018-12-31
    expect(zh.currentTitle).toMatchObject({ level: 'assistant', obtained: '2020-12-31' });
    expect(extractFacts('2021年3月参加工作', lex, [], today).facts.yearsInSpecialty).toBe(5.6); // from 2021-03-31
    expect(extractFacts("I've been working in the field since 2019", lex, [], today).facts.yearsInSpecialty).toBe(6.9);
    // Graduation alone says nothing of the work since; stated years win; no clock, no count.
    expect(extractFacts('我2018年本科毕业', lex, [], today).facts.yearsInSpecialty).toBeUndefined();
    expect(extractFacts('2018年毕业，一直做设计，工作了6年', lex, [], today).facts.yearsInSpecialty).toBe(6);
    expect(extractFacts('2019年参加工作', lex).facts.yearsInSpecialty).toBeUndefined();
  });

  it('reads months paid (交了10个月) as social insurance, and "再交两个月" as months on top of those said', () => {
    expect(extractFacts('交了8个月', lex).facts.residence?.socialInsuranceMonthsLast24).toBe(8);
    const more = extractFacts('那再交两个月呢？', lex);
    expect(more.moreSocialInsuranceMonths).toBe(2);
    expect(extractFacts('社保交了10个月', lex).moreSocialInsuranceMonths).toBeUndefined();
    expect(extractFacts('工作了3个月', lex).facts.residence).toBeUndefined();
  });

  it('reads a title followed by 拿了/取得/考过 and years as held for those years ("经济师拿了6年")', () => {
    expect(extractFacts('硕士，经济师拿了6年', lex).facts).toMatchObject({ currentTitle: { level: 'intermediate', yearsHeld: 6 }, series: 'economics' });
    expect(extractFacts('工程师取得5年了', lex).facts.currentTitle).toMatchObject({ level: 'intermediate', yearsHeld: 5 });
    expect(extractFacts('想评经济师', lex).facts.targetLevel).toBe('intermediate');
  });

  it('reads residence, social insurance, overseas list and skill facts', () => {
    expect(extractFacts('我有上海居住证', lex).facts.residence?.residencePermit).toBe(true);
    expect(extractFacts('没有居住证', lex).facts.residence?.residencePermit).toBe(false);
    expect(extractFacts('社保交了18个月', lex).facts.residence?.socialInsuranceMonthsLast24).toBe(18);
    expect(extractFacts('外地户口', lex).facts.residence?.hukou).toBe(false);
    // A field named as what was studied is not the series applied in.
    expect(extractFacts("I have a master's but not in engineering", lex).facts).toEqual({ education: { degree: 'master', fieldRelated: false } });
    expect(extractFacts("my bachelor's is in economics, master's in computer science", lex).facts.series).toBeUndefined();
    // "明年退休" is when one retires, not a question a year on; 返聘 is after retirement; "去年高工没评上" failed last year.
    expect(extractFacts('明年退休', lex).yearsLater).toBeUndefined();
    expect(extractFacts("I'm retiring next year", lex).yearsLater).toBeUndefined();
    expect(extractFacts('明年能评吗', lex).yearsLater).toBe(1);
    expect(extractFacts('退休返聘，能评职称吗', lex).facts.retirement?.retired).toBe(true);
    expect(extractFacts('去年高工没评上', lex).facts.lastYear?.failedShanghaiSeniorEvaluation).toBe(true);
    expect(extractFacts('I failed the senior engineer evaluation last year', lex).facts.lastYear?.failedShanghaiSeniorEvaluation).toBe(true);
    // Nor is one left unfinished; 专升本 is a bachelor's.
    expect(extractFacts('本科肄业', lex).facts.education?.degree).toBeUndefined();
    expect(extractFacts('本科没毕业，大专毕业', lex).facts.education?.degree).toBe('junior_college');
    expect(extractFacts("I dropped out of my master's, I have a bachelor's", lex).facts.education?.degree).toBe('bachelor');
    expect(extractFacts('专升本', lex).facts.education?.degree).toBe('bachelor');
    // A degree still studied for is not held; the one before it is.
    expect(extractFacts('博士在读', lex).facts.education?.degree).toBeUndefined();
    expect(extractFacts("I'm a PhD candidate", lex).facts.education?.degree).toBeUndefined();
    expect(extractFacts("I have a bachelor's and I'm studying for a master's", lex).facts.education?.degree).toBe('bachelor');
    expect(extractFacts('硕士在读，本科是计算机', lex).facts.education?.degree).toBe('bachelor');
    expect(extractFacts('我是博士', lex).facts.education?.degree).toBe('phd');
    // Another place's hukou is not Shanghai's.
    expect(extractFacts('我是北京户口', lex).facts.residence?.hukou).toBe(false);
    expect(extractFacts('I have a Beijing hukou', lex).facts.residence?.hukou).toBe(false);
    expect(extractFacts('my hukou is in Jiangsu', lex).facts.residence?.hukou).toBe(false);
    expect(extractFacts('我是上海户口', lex).facts.residence?.hukou).toBe(true);
    // "工程师是2021年6月评上的": a title said to have been obtained is held; "我想评的是工程师" is wanted.
    expect(extractFacts('工程师是2021年6月评上的', lex).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2021-06-30' });
    expect(extractFacts('工程师是去年评的', lex).facts.currentTitle?.level).toBe('intermediate');
    expect(extractFacts('我想评的是工程师', lex).facts).toMatchObject({ targetLevel: 'intermediate' });
    // "I became an engineer", "I was promoted to engineer in 2022": held; "I want to become an engineer": wanted.
    expect(extractFacts('I became an engineer last year', lex).facts.currentTitle?.level).toBe('intermediate');
    expect(extractFacts('I was promoted to engineer in 2022', lex).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2022-12-31' });
    expect(extractFacts('I want to become an engineer', lex).facts).toMatchObject({ targetLevel: 'intermediate' });
    // "工程师刚评上": held, with no years yet.
    expect(extractFacts('工程师刚评上', lex).facts.currentTitle).toEqual({ level: 'intermediate', yearsHeld: 0 });
    // "最近两年" is the last two years, not "nearly two".
    expect(extractFacts('最近两年社保都在上海交的', lex).facts.residence?.socialInsuranceMonthsLast24).toBe(24);
    // The field said outright, an in-service degree, and "我本科学的…" (jieba cuts 我本|科学).
    expect(extractFacts('专业不对口', lex)).toMatchObject({ facts: { education: { fieldRelated: false } }, correction: false });
    expect(extractFacts('专业对口', lex).facts.education?.fieldRelated).toBe(true);
    expect(extractFacts('我是非全日制硕士', lex).facts.education).toMatchObject({ degree: 'master', inService: true });
    expect(extractFacts("I studied part-time for my master's", lex).facts.education).toMatchObject({ degree: 'master', inService: true });
    expect(extractFacts('我本科学的会计', lex).facts.education).toMatchObject({ degree: 'bachelor', fieldRelated: false });
    // Shanghai months only: social insurance paid elsewhere, or a gap in it, says none.
    expect(extractFacts('我的社保是在苏州交的，交了两年', lex).facts.residence?.socialInsuranceMonthsLast24).toBeUndefined();
    expect(extractFacts('social insurance paid in Beijing for 2 years', lex).facts.residence?.socialInsuranceMonthsLast24).toBeUndefined();
    expect(extractFacts('社保断了半年', lex).facts.residence?.socialInsuranceMonthsLast24).toBeUndefined();
    expect(extractFacts('在上海交了一年半社保', lex).facts.residence?.socialInsuranceMonthsLast24).toBe(18);
    // The condition asks for a valid permit: an expired one is none ("快到期了" still is valid).
    expect(extractFacts('居住证过期了', lex).facts.residence?.residencePermit).toBe(false);
    expect(extractFacts('my residence permit expired', lex).facts.residence?.residencePermit).toBe(false);
    expect(extractFacts('我有居住证，但是快到期了', lex).facts.residence?.residencePermit).toBe(true);
    // One negation over two things said together; a "but" or a comma ends it.
    expect(extractFacts('没有上海户口和居住证', lex).facts.residence).toMatchObject({ hukou: false, residencePermit: false });
    expect(extractFacts("I don't have a Shanghai hukou or a residence permit", lex).facts.residence).toMatchObject({ hukou: false, residencePermit: false });
    expect(extractFacts('有上海户口和居住证', lex).facts.residence).toMatchObject({ hukou: true, residencePermit: true });
    expect(extractFacts('I have no hukou but I have a residence permit', lex).facts.residence).toMatchObject({ hukou: false, residencePermit: true });
    expect(extractFacts('没有户口，有居住证', lex).facts.residence).toMatchObject({ hukou: false, residencePermit: true });
    const overseas = extractFacts('我的证书在清单2.0里，是C类', lex).facts.overseas;
    expect(overseas).toMatchObject({ listVersion: '2.0', category: 'C' });
    expect(extractFacts('I hold a List 2.0 category C certificate', lex).facts.overseas).toMatchObject({ listVersion: '2.0', category: 'C' });
    expect(extractFacts('我是高级技师', lex).facts.skill?.level).toBe('senior_technician');
    expect(extractFacts('获得过中华技能大奖', lex).facts.awards?.chinaSkillsAward).toBe(true);
  });

  it('takes the highest degree and skips a negated one', () => {
    expect(extractFacts('本科毕业后读了硕士', lex).facts.education?.degree).toBe('master');
    expect(extractFacts('不是硕士，是本科', lex).facts.education?.degree).toBe('bachelor');
  });

  it('flags corrections and exclusions', () => {
    expect(extractFacts('不对，我是本科', lex).correction).toBe(true);
    expect(extractFacts('我已经退休了', lex).facts.retirement?.retired).toBe(true);
    expect(extractFacts('去年没评上', lex).facts.lastYear?.failedShanghaiSeniorEvaluation).toBe(true);
  });

  it('reads a title obtained last year or the year before as held, dated to that year\'s end', () => {
    const today = new Date('2026-11-25T10:00:00Z');
    expect(extractFacts('我去年评上的工程师，什么时候能评高工？', lex, [], today).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2025-12-31' });
    expect(extractFacts('我前年拿的工程师', lex, [], today).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2024-12-31' });
    expect(extractFacts('I became an engineer last year', lex, [], today).facts.currentTitle).toEqual({ level: 'intermediate', obtained: '2025-12-31' });
    // Without today's date, no date is guessed.
    expect(extractFacts('我前年拿的工程师', lex).facts.currentTitle).toEqual({ level: 'intermediate' });
  });

  it('reads a major named right after the degree as its field', () => {
    expect(extractFacts('本科土木', lex).facts.education).toEqual({ degree: 'bachelor', fieldRelated: true });
    expect(extractFacts('硕士读的是计算机', lex).facts.education).toEqual({ degree: 'master', fieldRelated: true });
    expect(extractFacts('本科工商管理', lex).facts.education).toEqual({ degree: 'bachelor', fieldRelated: false });
    // A major elsewhere in the clause is not the degree's.
    expect(extractFacts('本科，在计算机公司工作', lex).facts.education?.fieldRelated).toBeUndefined();
  });

  it('picks the teachers\' series from where one teaches, said or given in answer to the series question', () => {
    expect(extractFacts('我在大学教书', lex).facts.series).toBe('higher_ed_teacher');
    expect(extractFacts('I teach at a high school', lex).facts.series).toBe('primary_secondary_teacher');
    expect(extractFacts('中学', lex, ['series']).facts.series).toBe('primary_secondary_teacher');
    expect(extractFacts('university', lex, ['series']).facts.series).toBe('higher_ed_teacher');
    // Not asked, and no teaching said: a school's name alone is no series; nor is where one studied.
    expect(extractFacts('中学', lex).facts.series).toBeUndefined();
    expect(extractFacts('大学学的会计', lex, ['series']).facts.series).toBeUndefined();
    expect(extractFacts('我是老师，高中毕业后读了师范', lex).facts.series).toBeUndefined();
  });
});

describe('mergeFacts', () => {
  it('lets a later answer correct an earlier one and reports what changed', () => {
    const { merged, changed } = mergeFacts({ education: { degree: 'master' }, yearsInSpecialty: 2 }, { education: { degree: 'bachelor' } });
    expect(merged).toEqual({ education: { degree: 'bachelor' }, yearsInSpecialty: 2 });
    expect(changed).toEqual(['education.degree']);
  });
});

describe('plainQuestion', () => {
  it.each([
    ['我想了解一下职称', '职称是什么？'],
    ['想了解一下直通车吧', '直通车是什么？'],
    ['tell me about the green channel', 'What is the green channel?'],
    ["I'd like to know about the direct train", 'What is the direct train?'],
    // A question of its own, or a long one, is left alone.
    ['我想了解一下上海工程系列高级工程师评审的具体申报条件和材料要求', '我想了解一下上海工程系列高级工程师评审的具体申报条件和材料要求'],
    ['上海评工程师要什么条件？', '上海评工程师要什么条件？'],
  ])('%s → %s', (text, plain) => expect(plainQuestion(text)).toBe(plain));
});

describe('rewriteFollowUp', () => {
  it('reads a message that only names a series or level ("工程类的", "中级") with the topic in play', () => {
    const topic = { query: '上海评职称要什么条件？' };
    expect(rewriteFollowUp('工程类的', topic, lex)).toMatch(/条件.*工程/);
    expect(rewriteFollowUp('中级', { query: '上海评职称要什么条件？ 工程类的' }, lex)).toMatch(/条件.*工程.*中级/);
    // A question of its own is left as it is.
    expect(rewriteFollowUp('工程师怎么评？', topic, lex)).toBe('工程师怎么评？');
  });

  it('keeps the title of the topic for a degree named ("junior college" is no junior level)', () => {
    const rewritten = rewriteFollowUp('what about a junior college diploma?', { query: 'What do I need for Engineer in Shanghai?' }, lex);
    expect(rewritten).toContain('for engineer in shanghai');
    expect(rewritten).not.toContain('assistant engineer');
  });

  it('asks a follow-up on another aspect (materials after conditions) of the same title and place only', () => {
    expect(rewriteFollowUp('那需要什么材料呢？', { query: '上海评工程师要什么条件？' }, lex)).toBe('上海 工程师 需要什么材料');
    const en = rewriteFollowUp('and the deadline?', { query: 'What materials do I need for Senior Engineer in Shanghai?' }, lex);
    expect(en).toContain('senior engineer');
    expect(en).toContain('deadline');
    expect(en).not.toContain('materials');
    // A new level alone keeps the question as it was asked.
    expect(rewriteFollowUp('那副高呢？', { query: '上海评工程师要什么条件？' }, lex)).toContain('条件');
  });

  it('asks a question pointing back at a route of that route, but not one naming a title, nor after a title', () => {
    const greenChannel = { query: 'What is the green channel?' };
    expect(isAboutRouteTopic('Can I use it if I only have a junior college degree?', greenChannel, lex)).toBe(true);
    expect(rewriteFollowUp('Can I use it if I only have a junior college degree?', greenChannel, lex)).toBe('what is the green channel? can i use it if i only have a junior college degree?');
    expect(isAboutRouteTopic('我只有大专，能走这个吗', { query: '什么是绿色通道' }, lex)).toBe(true);
    expect(isAboutRouteTopic('Can I use it for Senior Engineer?', greenChannel, lex)).toBe(false);
    expect(isAboutRouteTopic('Can I apply for it?', { query: 'What do I need for Engineer?', series: 'engineering', targetLevel: 'intermediate' }, lex)).toBe(false);
    expect(isAboutRouteTopic('I have a bachelor degree', greenChannel, lex)).toBe(false);
    // A bare question of a few words, naming nothing of its own, asks of the route just discussed.
    expect(isAboutRouteTopic('Who qualifies?', greenChannel, lex)).toBe(true);
    expect(isAboutRouteTopic('谁能申请', { query: '直通车是什么' }, lex)).toBe(true);
    expect(isAboutRouteTopic('What is a title?', greenChannel, lex)).toBe(false);
    expect(isAboutRouteTopic('Who qualifies?', { query: 'What is a professional title?' }, lex)).toBe(false);
  });

  it('replaces the level and keeps the series', () => {
    const q = rewriteFollowUp('那副高呢？', { query: '上海工程师申报条件' }, lex);
    expect(q).toContain('副高');
    expect(q).toContain('高级工程师');
    expect(q).toContain('申报条件');
    expect(q).not.toMatch(/(?<!高级)工程师/);
  });

  it('switches the series in English', () => {
    const q = rewriteFollowUp('what about accounting?', { query: 'what do i need for the intermediate level in engineering' }, lex);
    expect(q).toContain('accounting');
    expect(q).not.toContain('engineering');
    expect(q).toContain('intermediate');
  });

  it('switches the place a rule applies in: the national standard, then Shanghai', () => {
    const q = rewriteFollowUp('那上海呢？', { query: '国家标准工程师要什么条件？' }, lex);
    expect(q).toContain('上海');
    expect(q).toContain('工程师要什么条件');
    expect(q).not.toContain('国家');
    const en = rewriteFollowUp('and in Shanghai?', { query: 'What does the national standard ask for Engineer?' }, lex);
    expect(en).toMatch(/shanghai/i);
    expect(en).not.toMatch(/national/i);
  });

  it('keeps the place when the follow-up names none', () => {
    expect(rewriteFollowUp('那副高呢？', { query: '上海工程师申报条件' }, lex)).toContain('上海');
  });

  it('leaves a full new question alone', () => {
    const text = '绿色通道是什么，谁可以走这个通道申报高级职称？';
    expect(rewriteFollowUp(text, { query: '上海工程师申报条件' }, lex)).toBe(text);
  });
});

describe('asksOfTitleInPlay', () => {
  it('takes a short question naming no title, series, level or route as one about the title in play', () => {
    for (const q of ['需要考试吗？', '考哪几门？', 'which subjects are in the exam?', '要交什么材料']) expect(asksOfTitleInPlay(q, lex), q).toBe(true);
    for (const q of ['高级工程师要几年？', '那经济系列呢', '绿色通道是什么？', 'what is the direct train?', '中级要什么条件', '评审流程很长吗？我还想知道每年什么时候开始申报'])
      expect(asksOfTitleInPlay(q, lex), q).toBe(false);
  });
});

describe('withImpliedOverseasQualification', () => {
  it('asks a question about a credential from abroad of the overseas-qualification lists', () => {
    expect(withImpliedOverseasQualification('我有美国的注册会计师证书，有用吗？')).toContain('海外职业资格');
    expect(withImpliedOverseasQualification('I hold a British chartered membership, does it help?')).toContain('overseas qualification');
    expect(withImpliedOverseasQualification('Is a certificate from the UK any use?')).toContain('overseas qualification');
    for (const q of ['我在美国读的硕士，能评工程师吗', '我在美国工作过，有资格评职称吗', 'I studied in the US, can I apply?', '海外职业资格证书有哪些？'])
      expect(withImpliedOverseasQualification(q), q).toBe(q);
  });
});

describe('topicNames', () => {
  it('gives the titles, series and levels a topic named, each once, else its question', () => {
    expect(topicNames({ query: "What's the difference between 副高 and 正高?" }, lex)).toBe('副高 正高');
    expect(topicNames({ query: '中级会计师怎么考？' }, lex)).toBe('中级会计师');
    expect(topicNames({ query: '绿色通道是什么？' }, lex)).toBe('绿色通道是什么？');
  });
});

