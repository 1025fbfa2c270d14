import { FACT_NAMES, LEVEL_NAMES, ROUTE_NAMES, STATUS_NAMES, headlineRoute } from '../eligibility/index.js';
import type { MentorReply } from '../mentor/index.js';

type Block = Record<string, unknown>;

const SECTION_LIMIT = 2900;

/** Slack mrkdwn from our Markdown: escape &, <, >; **bold** -> *bold*; [t](url) -> <url|t>; bullets as •. */
export function toMrkdwn(markdown: string): string {
  return escapeMrkdwn(markdown)
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)|]+)\)/g, '<$2|$1>')
    .replace(/^(\s*)[-*+]\s+/gm, '$1• ');
}

const escapeMrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const clip = (text: string, max: number) => ([...text].length > max ? `${[...text].slice(0, max - 1).join('')}…` : text);

/** A reply as Block Kit: the text, an eligibility summary when there is one, then each citation as a context block. */
export function replyBlocks(reply: MentorReply): Block[] {
  const lang = reply.lang;
  const blocks: Block[] = [];
  let text = toMrkdwn(reply.reply);
  while (text) {
    const piece = [...text].slice(0, SECTION_LIMIT).join('');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: piece } });
    text = text.slice(piece.length);
  }
  const e = reply.eligibility;
  if (e) {
    const best = headlineRoute(e);
    const zh = lang === 'zh';
    const fields: Array<[string, string]> = [[zh ? '结论' : 'Verdict', STATUS_NAMES[e.overall.status][lang]]];
    if (best) fields.push([zh ? '途径' : 'Route', `${ROUTE_NAMES[best.route][lang]} · ${LEVEL_NAMES[best.targetLevel][lang]}`]);
    if (e.overall.missing.length) fields.push([zh ? '还需确认' : 'Still needed', e.overall.missing.map((m) => FACT_NAMES[m]?.[lang] ?? m).join(zh ? '、' : ', ')]);
    if (best?.earliest) fields.push([zh ? '最早可申报' : 'Earliest', best.earliest]);
    blocks.push({ type: 'section', fields: fields.map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${label}*\n${escapeMrkdwn(value)}`, 1900) })) });
  }
  if (reply.citations.length) {
    blocks.push({ type: 'divider' });
    for (const c of reply.citations.slice(0, 10)) {
      const title = toMrkdwn(c.title);
      const link = c.url && /^https?:\/\/[^\s<>|]+$/.test(c.url) ? `<${c.url}|${title}>` : title;
      const date = c.date ? ` · ${toMrkdwn(c.date)}` : '';
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`*[${c.n}]* ${link}${date}\n“${toMrkdwn(c.quote)}”`, 2900) }] });
    }
  }
  return blocks.slice(0, 50);
}

