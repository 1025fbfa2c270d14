import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSum, startTestServer, tempDataDir, type TestServer } from '../fixtures/channels/harness.js';

// The web chat page in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// against the real server on loopback.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`SKIPPED browser tests: no Chromium at ${CHROMIUM}. Install it with \`apt-get install -y chromium\` (.ci/run does).`);
}

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

describe.skipIf(!haveChromium)('the web chat page in headless Chromium', () => {
  let t: TestServer;
  let dataDir: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  const sessionIds = new Set<string>();
  /** The card labels the page is given (owned by the eligibility module, so not repeated here). */
  let labels: Record<'routes' | 'statuses' | 'levels', Record<string, { zh: string; en: string }>>;
  let persona: { name: { zh: string }; greeting: { zh: string }; disclaimer: { zh: string } };

  beforeAll(async () => {
    dataDir = tempDataDir();
    t = await startTestServer({ STREAM_PACE_MS: '40' }, { dataDir });
    const body = (await (await fetch(`${t.url}/api/persona`)).json()) as typeof persona & { labels: typeof labels };
    labels = body.labels;
    persona = body;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Debian's chromium in a container: no setuid sandbox as root, a small /dev/shm, no GPU.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-dev-shm-usage', '--disable-gpu'],
    });
    context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith(t.url) && !r.url().startsWith(t.url.replace('http', 'ws'))) foreignRequests.push(r.url());
    });
    page.on('websocket', (ws) => {
      ws.on('framereceived', (f) => {
        const frame = JSON.parse(String(f.payload)) as { type: string; sessionId?: string };
        if (frame.type === 'meta' && frame.sessionId) sessionIds.add(frame.sessionId);
      });
    });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const ask = async (text: string) => {
    const before = await page.locator('.msg.bot[data-turn-id]').count();
    await page.fill('#input', text);
    await page.press('#input', 'Enter');
    await page.locator('.msg.bot[data-turn-id]').nth(before).waitFor({ timeout: 20_000 });
    return page.locator('.msg.bot[data-turn-id]').nth(before);
  };

  it('opens with the persona, a welcome and suggested questions, in Chinese, on a phone', async () => {
    await page.goto(`${t.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.locator('#name').textContent()).toBe(persona.name.zh);
    expect(await page.locator('.top .avatar').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await page.getAttribute('.lang button[data-lang="zh"]', 'aria-pressed')).toBe('true');
    const welcome = page.locator('.msg.welcome');
    await expect.poll(() => welcome.textContent()).toContain(persona.greeting.zh.slice(0, 12));
    expect(await welcome.locator('.chip').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#disclaimer').textContent()).toBe(persona.disclaimer.zh);
    await expect.poll(() => page.getAttribute('body', 'data-transport')).toBe('websocket');
  }, 60_000);

  it('answers a Chinese question, streaming, with citation cards that open', async () => {
    await page.fill('#input', '上海申报职称需要什么条件？');
    await page.press('#input', 'Enter');
    // The text arrives in pieces before the finished reply replaces it.
    await page.locator('.msg.bot .body.streaming').waitFor({ timeout: 20_000 });
    const reply = page.locator('.msg.bot[data-turn-id]').last();
    await reply.waitFor({ timeout: 20_000 });
    expect(await reply.getAttribute('lang')).toBe('zh-CN');
    expect(await reply.locator('.md li, .md p').count()).toBeGreaterThan(0);
    const cards = reply.locator('details.source');
    expect(await cards.count()).toBeGreaterThan(0);
    expect(await cards.first().evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
    await reply.locator('a.cite').first().click();
    expect(await cards.first().evaluate((d: HTMLDetailsElement) => d.open)).toBe(true);
    expect((await cards.first().locator('blockquote').textContent())!.length).toBeGreaterThan(5);
    expect(await cards.first().locator('summary .title').textContent()).toBeTruthy();
    const link = cards.first().locator('.source-meta a');
    if (await link.count()) {
      expect(await link.getAttribute('href')).toMatch(/^https?:\/\//);
      expect(await link.getAttribute('rel')).toContain('noopener');
    }
    expect(await cards.first().locator('.source-meta .date').textContent()).toMatch(/日期/);
  }, 60_000);

  it('switches to English', async () => {
    await page.click('.lang button[data-lang="en"]');
    expect(await page.getAttribute('.lang button[data-lang="en"]', 'aria-pressed')).toBe('true');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.getAttribute('#input', 'placeholder')).toMatch(/Type your question/);
    expect(await page.locator('#send').textContent()).toBe('Send');
    const reply = await ask('What is the green channel?');
    expect(await reply.getAttribute('lang')).toBe('en');
    expect(await reply.locator('.md').textContent()).toMatch(/green channel/i);
    expect(await reply.locator('.sources h3').textContent()).toBe('Sources');
  }, 60_000);

  it('runs an eligibility dialogue to its card', async () => {
    const asked = await ask('Can I apply for Engineer?');
    const pending = asked.locator('.card.eligibility');
    expect(await pending.getAttribute('class')).toContain('status-needs_info');
    expect(await pending.locator('dd.status').textContent()).toBe(labels.statuses.needs_info.en);
    expect(await pending.textContent()).toMatch(/Still needed/);

    const answered = await ask("I have a master's degree, 3 years of work and a Shanghai Residence Permit");
    const card = answered.locator('.card.eligibility');
    expect(await card.getAttribute('class')).toContain('status-eligible');
    const pairs = await card.locator('dl').evaluate((dl) => {
      const out: Record<string, string> = {};
      dl.querySelectorAll('dt').forEach((dt) => (out[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? ''));
      return out;
    });
    expect(pairs.Route).toBe(`${labels.routes.regular.en} · ${labels.levels.intermediate.en}`);
    expect(pairs.Verdict).toBe(labels.statuses.eligible.en);
    expect(await card.locator('.next').textContent()).toMatch(/Next step/);
  }, 60_000);

  it('stores a thumbs up with the turn', async () => {
    const reply = page.locator('.msg.bot[data-turn-id]').last();
    const turnId = Number(await reply.getAttribute('data-turn-id'));
    await reply.locator('button[data-vote="up"]').click();
    await expect.poll(() => reply.locator('button[data-vote="up"]').getAttribute('aria-pressed')).toBe('true');
    expect(await reply.locator('.vote-status').textContent()).toMatch(/Thanks/);
    expect(sessionIds.size).toBeGreaterThanOrEqual(1);
    const rows = [...sessionIds].flatMap((id) => t.service.store.transcript(id));
    expect(rows.find((r) => r.id === turnId)?.vote).toBe('up');
    expect(rows.every((r) => r.channel === 'web')).toBe(true);
  }, 60_000);

  it('fits 375 px and 1280 px, with screenshots saved', async () => {
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    const composer = await page.locator('#composer').boundingBox();
    expect(composer!.y + composer!.height).toBeLessThanOrEqual(812);
    expect(composer!.width).toBeLessThanOrEqual(375);
    expect(composer!.height).toBeLessThan(90);
    // Show the eligibility card of the dialogue above.
    await page.locator('.card.eligibility').last().evaluate((card) => card.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-375.png') });
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.locator('.card.eligibility').last().evaluate((card) => card.scrollIntoView({ block: 'center' }));
    expect(await overflow()).toBeLessThanOrEqual(0);
    const column = await page.locator('.app').boundingBox();
    expect(column!.width).toBeLessThanOrEqual(800);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'web-1280.png') });
    for (const f of ['web-375.png', 'web-1280.png']) expect(fs.statSync(path.join(SCREENSHOTS, f)).size).toBeGreaterThan(10_000);
  }, 60_000);

  it('falls back to HTTP (the SSE stream) when there is no websocket', async () => {
    const http = await context.newPage();
    let sockets = 0;
    http.on('websocket', () => sockets++);
    await http.goto(`${t.url}/?transport=http`);
    await http.waitForSelector('body[data-ready="true"]');
    // The language chosen on the first page is remembered; switch back to Chinese.
    expect(await http.getAttribute('.lang button[data-lang="en"]', 'aria-pressed')).toBe('true');
    await http.click('.lang button[data-lang="zh"]');
    await http.fill('#input', '硕士毕业1年，有居住证，能评工程师吗？');
    await http.press('#input', 'Enter');
    const reply = http.locator('.msg.bot[data-turn-id]').last();
    await reply.waitFor({ timeout: 20_000 });
    expect(await reply.locator('details.source').count()).toBeGreaterThan(0);
    // Not yet: the card says so and gives the earliest date.
    const card = reply.locator('.card.eligibility');
    expect(await card.getAttribute('class')).toContain('status-not_yet');
    expect(await card.locator('dd.status').textContent()).toBe(labels.statuses.not_yet.zh);
    expect(await card.locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(await card.textContent()).toMatch(/最早可申报/);
    expect(sockets).toBe(0);
    await http.close();
  }, 60_000);

  it('renders Markdown safely and shows user text as text', async () => {
    // A string, so the test runner does not rewrite the page's dynamic import.
    const source = '<img src=x onerror=alert(1)> **bold** [1] [2]\n- item [x](javascript:alert(1))\n- https://example.org/a?b=1&c=2';
    const html = (await page.evaluate(
      `import('/static/markdown.js').then((m) => m.renderMarkdown(${JSON.stringify(source)}, { citations: 1, citePrefix: 't' }))`,
    )) as string;
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<a class="cite" href="#t-1" data-n="1">[1]</a> [2]');
    expect(html).not.toMatch(/href="javascript/i);
    expect(html).toContain('<ul><li>');
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">');

    await ask('<img src=x onerror="window.__pwned=1">你好');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('.msg.user').last().textContent()).toContain('<img src=x');
  }, 60_000);

  it('made no request to another origin, and logged no errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('shows the page\'s turns in /metrics', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricSum(text, 'mentor_turns_total', { channel: 'web' })).toBe(5);
    expect(metricSum(text, 'mentor_turns_total', { channel: 'api' })).toBe(1);
  });
});
