import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// The staff console (/admin) in a real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core), against the real server on loopback: sign in, edit, save, history, hit testing,
// restore, audit, questions; at 1280 px and 375 px.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`SKIPPED browser tests: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (.ci/run does).`);
}

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const TOKEN = 'staff-token-for-the-browser-test';
const DOC_ID = 'green-channel.en';
const PHRASE = 'heliotrope quokka registry';
const ADDED = `## What is the ${PHRASE}?\n\nThe ${PHRASE} is a made-up phrase that the browser test adds to this document and then takes away again.\n`;

describe.skipIf(!haveChromium)('the staff console in headless Chromium', () => {
  let t: TestServer;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];

  const watch = (p: Page) => {
    p.on('console', (m) => {
      // Chromium logs every failed fetch: the wrong-token sign-in (401) and the invalid save (422) are expected.
      if (m.type() === 'error' && !/status of (401|422)\b/.test(m.text())) consoleErrors.push(m.text());
    });
    p.on('pageerror', (e) => consoleErrors.push(e.message));
    p.on('request', (r) => {
      if (!r.url().startsWith(t.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreignRequests.push(r.url());
    });
    p.on('dialog', (d) => void d.accept());
  };

  const signIn = async (p: Page, token = TOKEN) => {
    await p.goto(`${t.url}/admin`);
    await p.waitForSelector('#signin:not([hidden])');
    await p.fill('#token', token);
    await p.fill('#author', 'E2E Tester');
    await p.click('#signin-button');
  };

  const apiGet = async (p: string) => (await fetch(`${t.url}/api/admin${p}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();

  const hitTest = async (query: string) => {
    await page.click('.tabs [data-view="search"]');
    await page.fill('#search-q', query);
    const answered = page.waitForResponse((r) => r.url().includes('/api/admin/search'));
    await page.click('#search-form button[type="submit"]');
    await answered;
    await page.waitForSelector('#search-results:not([aria-busy])');
    return page.locator('#search-results .hit');
  };

  beforeAll(async () => {
    dataDir = tempDataDir();
    t = await startTestServer({ ADMIN_TOKEN: TOKEN }, { dataDir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Debian's chromium in a container: no setuid sandbox as root, a small /dev/shm, no GPU.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
    });
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    watch(page);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('says clearly when the token is wrong', async () => {
    await signIn(page, 'not-the-staff-token');
    const error = page.locator('#signin-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toMatch(/token is not right/);
    expect(await page.locator('#console').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('title-mentor-admin-token'))).toBeNull();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-signin-error.png') });
  }, 60_000);

  it('signs in with the token (kept for the tab) and lists the documents', async () => {
    await signIn(page);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.evaluate(() => sessionStorage.getItem('title-mentor-admin-token'))).toBe(TOKEN);
    const total = ((await apiGet('/documents')) as { documents: unknown[] }).documents.length;
    expect(await page.locator('#doc-list .doc-item').count()).toBe(total);
    // Filters: language on the server, text in the page.
    await page.selectOption('#filter-lang', 'zh');
    await expect.poll(() => page.locator('#doc-list .doc-item[data-id$=".en"]').count()).toBe(0);
    await page.selectOption('#filter-lang', '');
    await page.fill('#filter-q', 'green');
    await expect.poll(() => page.locator('#doc-list .doc-item').count()).toBeLessThan(total);
    expect(await page.locator(`#doc-list .doc-item[data-id="${DOC_ID}"]`).count()).toBe(1);
  }, 60_000);

  it('opens a document with its front matter in the form and a safe live preview', async () => {
    await page.click(`#doc-list .doc-item[data-id="${DOC_ID}"]`);
    await page.waitForSelector('#editor:not([hidden])');
    expect(await page.inputValue('#f-id')).toBe(DOC_ID);
    expect(await page.locator('#f-id').getAttribute('readonly')).not.toBeNull();
    expect(await page.inputValue('#f-lang')).toBe('en');
    expect(await page.inputValue('#f-translation_of')).toBe('green-channel.zh');
    expect(await page.inputValue('#f-topics')).toBe('green-channel, special-routes, senior');
    expect(await page.inputValue('#f-confidence')).toBe('C');
    expect(await page.inputValue('#f-source_date')).toBe('2024-04-15');
    expect(await page.locator('#preview h1').textContent()).toMatch(/green channel/i);
    // Untouched, the form writes back exactly the stored text.
    const stored = ((await apiGet(`/documents/${DOC_ID}`)) as { content: string }).content;
    expect(await page.locator('#source-preview').textContent()).toBe(stored);
    expect(await page.locator('#history li').count()).toBe(1);

    // The preview escapes HTML before it renders Markdown.
    const body = await page.inputValue('#f-body');
    await page.fill('#f-body', `${body}\n<img src=x onerror="window.__pwned=1"> [x](javascript:alert(1))\n`);
    await expect.poll(() => page.locator('#preview').textContent()).toContain('<img src=x');
    expect(await page.locator('#preview img').count()).toBe(0);
    expect(await page.locator('#preview a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.fill('#f-body', body);
  }, 60_000);

  it('writes every stored document back unchanged when its form is untouched', async () => {
    // The form's values as the page reads them (lists through the comma field, text trimmed), run
    // through the page's own module; a string, so the test runner does not rewrite the import.
    const changed = (await page.evaluate(`(async () => {
      const { buildDocument, splitDocument, FIELDS, LIST_FIELDS, parseList } = await import('/static/admin/frontmatter.js');
      const headers = { authorization: 'Bearer ' + sessionStorage.getItem('title-mentor-admin-token') };
      const list = await (await fetch('/api/admin/documents', { headers })).json();
      const out = [];
      for (const d of list.documents) {
        const doc = await (await fetch('/api/admin/documents/' + encodeURIComponent(d.id), { headers })).json();
        const { yaml, body } = splitDocument(doc.content);
        const values = {};
        for (const f of FIELDS) {
          const v = doc.frontMatter[f];
          values[f] = LIST_FIELDS.has(f) ? parseList(Array.isArray(v) ? v.join(', ') : '') : String(v ?? '').trim();
        }
        if (buildDocument(values, body, { yaml, parsed: doc.frontMatter }) !== doc.content) out.push(d.id);
      }
      return { checked: list.documents.length, out };
    })()`)) as { checked: number; out: string[] };
    expect(changed.checked).toBeGreaterThan(100);
    expect(changed.out).toEqual([]);
  }, 60_000);

  it('shows validation problems beside their fields, and saves nothing', async () => {
    const revision = ((await apiGet('/documents')) as { revision: number }).revision;
    await page.fill('#f-translation_of', 'no-such-doc.zh');
    await page.fill('#f-effective_to', '2030-01-01');
    await page.fill('#f-effective_from', '2031-01-01');
    await page.click('#check');
    const translation = page.locator('#doc-form .field[data-field="translation_of"]');
    await expect.poll(() => translation.getAttribute('class')).toContain('has-problem');
    expect(await translation.locator('.problem').textContent()).toMatch(/does not exist/);
    expect(await page.locator('#f-translation_of').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#doc-form .field[data-field="effective_from"] .problem').textContent()).toMatch(/after effective_to/);
    expect(await page.locator('#form-problems').textContent()).toMatch(/2 problems/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-1280-problems.png') });

    await page.click('#save');
    await expect.poll(() => page.locator('#editor-status').textContent()).toMatch(/Not saved/);
    expect(((await apiGet('/documents')) as { revision: number }).revision).toBe(revision);
    // Back to the stored document: choosing it again discards the edits (after a confirm).
    await page.click(`#doc-list .doc-item[data-id="${DOC_ID}"]`);
    await expect.poll(() => page.inputValue('#f-translation_of')).toBe('green-channel.zh');
    expect(await page.locator('#form-problems').isHidden()).toBe(true);
  }, 60_000);

  it('adds a unique phrase, checks and saves it, and shows the new version in the history', async () => {
    const body = await page.inputValue('#f-body');
    await page.fill('#f-body', `${body.trimEnd()}\n\n${ADDED}`);
    await expect.poll(() => page.locator('#preview h2').last().textContent()).toBe(`What is the ${PHRASE}?`);
    expect(await page.locator('#editor-version').textContent()).toMatch(/unsaved/);
    await page.fill('#f-summary', 'e2e: add the quokka phrase');
    await page.click('#check');
    await expect.poll(() => page.locator('#editor-status').textContent()).toMatch(/No problems found/);
    await page.click('#save');
    await expect.poll(() => page.locator('#editor-status').textContent()).toMatch(/Saved\. Version 2 is live/);
    expect(await page.locator('#editor-version').textContent()).toBe('version 2');
    const newest = page.locator('#history li').first();
    expect(await newest.getAttribute('data-version')).toBe('2');
    expect(await newest.getAttribute('class')).toContain('is-current');
    expect(await newest.textContent()).toContain('e2e: add the quokka phrase');
    expect(await newest.textContent()).toContain('E2E Tester');
    expect(await page.locator('#history li').count()).toBe(2);
    // What was saved is the stored text plus the new section: the front matter kept as it was.
    const saved = ((await apiGet(`/documents/${DOC_ID}`)) as { content: string; version: number }).content;
    expect(saved).toContain(`The ${PHRASE} is a made-up phrase`);
    expect(saved.split('---')[1]).toContain('topics: [green-channel, special-routes, senior]');
    await page.locator('#editor').evaluate((e) => e.scrollIntoView());
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-1280-editor.png') });
  }, 60_000);

  it('finds the phrase first in the hit-testing panel, with the score and why', async () => {
    const hits = await hitTest(PHRASE);
    expect(await hits.count()).toBeGreaterThan(0);
    const first = hits.first();
    expect(await first.getAttribute('data-doc-id')).toBe(DOC_ID);
    expect(await first.locator('.hit-text').textContent()).toContain(PHRASE);
    expect(await first.locator('.score').textContent()).toMatch(/score \d\.\d{4}/);
    await first.locator('details.why summary').click();
    expect(await first.locator('details.why').textContent()).toMatch(/keyword rank 1/);
    expect(await first.locator('.why .term', { hasText: 'quokka' }).count()).toBe(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-1280-search.png') });
  }, 60_000);

  it('diffs the previous version against the current one, restores it, and the phrase is gone', async () => {
    // A hit opens its document.
    await page.locator('#search-results .hit').first().locator('button.link').click();
    await page.waitForSelector('#view-docs:not([hidden])');
    const v1 = page.locator('#history li[data-version="1"]');
    await v1.locator('button.compare').click();
    await page.waitForSelector('#diff-box:not([hidden])');
    expect(await page.locator('#diff-title').textContent()).toBe('Version 1 → current (version 2)');
    expect(await page.locator('#diff .dl.add').count()).toBe(4);
    expect(await page.locator('#diff .dl.del').count()).toBe(0);
    expect(await page.locator('#diff .dl.add').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining(`## What is the ${PHRASE}?`)]));
    expect(await page.locator('#diff .dl.fold').count()).toBeGreaterThan(0);
    await page.locator('#diff-box').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-1280-diff.png') });

    await page.click('#restore');
    await expect.poll(() => page.locator('#editor-status').textContent()).toMatch(/Restored version 1 \(saved as version 3\)/);
    expect(await page.locator('#editor-version').textContent()).toBe('version 3');
    expect(await page.inputValue('#f-body')).not.toContain(PHRASE);
    expect(await page.locator('#history li').first().textContent()).toContain('rollback to version 1');

    const hits = await hitTest(PHRASE);
    expect(await hits.filter({ hasText: 'quokka' }).count()).toBe(0);
    // And the mentor no longer knows it.
    const reply = ((await (await postJson(`${t.url}/api/chat`, { message: `What is the ${PHRASE}?`, lang: 'en' })).json()) as { reply: string }).reply;
    expect(reply).not.toMatch(/quokka/i);
  }, 60_000);

  it('shows the audit log and downloads it as CSV', async () => {
    await page.click('.tabs [data-view="audit"]');
    const rows = page.locator('#audit-table tbody tr');
    await expect.poll(() => rows.count()).toBeGreaterThan(3);
    expect(await rows.first().textContent()).toMatch(/E2E Tester.*rollback.*green-channel\.en/);
    expect(await rows.nth(1).textContent()).toMatch(/E2E Tester.*update.*green-channel\.en.*e2e: add the quokka phrase/);
    const download = page.waitForEvent('download');
    await page.click('#audit-csv');
    const file = await download;
    expect(file.suggestedFilename()).toBe('audit.csv');
    const csv = fs.readFileSync((await file.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('id,at,actor,action,kind,item_id,version,summary');
    expect(csv).toMatch(/E2E Tester,rollback,doc,green-channel\.en,3,rollback to version 1/);
  }, 60_000);

  it('lists the questions with votes, and downloads them as CSV', async () => {
    const asked = (await (await postJson(`${t.url}/api/chat`, { message: 'How long does the Shanghai title review take?', lang: 'en' })).json()) as { sessionId: string; turnId: number };
    expect((await postJson(`${t.url}/api/chat/vote`, { sessionId: asked.sessionId, turnId: asked.turnId, vote: 'down' })).status).toBe(200);
    await page.click('.tabs [data-view="questions"]');
    await page.click('.segmented [data-list="votes"]');
    const row = page.locator('#questions-table tbody tr', { hasText: 'How long does the Shanghai title review take?' });
    await row.waitFor();
    expect(await row.getAttribute('class')).toBe('vote-down');
    await page.click('.segmented [data-list="unanswered"]');
    const unanswered = ((await apiGet('/unanswered')) as { turns: unknown[] }).turns.length;
    await expect.poll(() => page.locator('#questions-count').textContent()).toBe(`${unanswered} row(s)`);
    await page.click('.segmented [data-list="votes"]');
    await row.waitFor();
    const download = page.waitForEvent('download');
    await page.click('#questions-csv');
    const file = await download;
    expect(file.suggestedFilename()).toBe('votes.csv');
    expect(fs.readFileSync((await file.path())!, 'utf8')).toContain('How long does the Shanghai title review take?');
  }, 60_000);

  it('fits 375 px: the list, then the editor in turn, with screenshots saved', async () => {
    const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await phone.newPage();
    watch(p);
    const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    try {
      await signIn(p);
      await p.waitForSelector('body[data-ready="true"]');
      // Chinese labels by default for a Chinese browser.
      expect(await p.locator('.tabs [data-view="docs"]').textContent()).toBe('文档');
      expect(await overflow()).toBeLessThanOrEqual(0);
      expect(await p.locator('#editor-pane').isHidden()).toBe(true);
      await p.screenshot({ path: path.join(SCREENSHOTS, 'admin-375-list.png') });
      await p.click(`#doc-list .doc-item[data-id="${DOC_ID}"]`);
      await p.waitForSelector('#editor:not([hidden])');
      expect(await p.locator('.doc-list-pane').isHidden()).toBe(true);
      expect(await overflow()).toBeLessThanOrEqual(0);
      const save = await p.locator('#save').boundingBox();
      expect(save!.x + save!.width).toBeLessThanOrEqual(375);
      await p.locator('#editor-pane').evaluate((e) => e.scrollIntoView());
      await p.screenshot({ path: path.join(SCREENSHOTS, 'admin-375-editor.png') });
      await p.locator('#history li[data-version="2"] button.compare').click();
      await p.waitForSelector('#diff-box:not([hidden])');
      expect(await overflow()).toBeLessThanOrEqual(0);
      await p.click('#back-to-list');
      expect(await p.locator('.doc-list-pane').isVisible()).toBe(true);
      for (const view of ['search', 'audit', 'questions']) {
        await p.click(`.tabs [data-view="${view}"]`);
        expect(await overflow(), view).toBeLessThanOrEqual(0);
      }
      await p.screenshot({ path: path.join(SCREENSHOTS, 'admin-375-questions.png') });
      // Signing out forgets the token.
      await p.click('#signout');
      await p.waitForSelector('#signin:not([hidden])');
      expect(await p.evaluate(() => sessionStorage.getItem('title-mentor-admin-token'))).toBeNull();
    } finally {
      await phone.close();
    }
    for (const f of ['admin-375-list.png', 'admin-375-editor.png', 'admin-1280-editor.png', 'admin-1280-diff.png', 'admin-1280-search.png']) {
      expect(fs.statSync(path.join(SCREENSHOTS, f)).size).toBeGreaterThan(10_000);
    }
  }, 60_000);

  it('made no request to another origin, and logged no errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
