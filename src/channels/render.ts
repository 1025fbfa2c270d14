import type { MentorReply } from '../mentor/index.js';
import type { Lang } from './shared.js';

type Citation = MentorReply['citations'][number];

/**
 * The reply cut into pieces for streaming: sentence by sentence, a long sentence in pieces of about
 * `size` characters, cut between words (or between Chinese characters). Joined, the pieces are
 * exactly the reply: streaming is presentation only.
 */
export function replyPieces(text: string, size = 20): string[] {
  const sentences = text.match(/[^。！？!?；;\n]*(?:[。！？!?；;]+|\n+|$)/g) ?? [];
  const pieces: string[] = [];
  for (const sentence of sentences) {
    if (!sentence) continue;
    // A token is one Chinese character, a word with the spaces after it, or a run of spaces.
    const tokens = sentence.match(/[\u3400-\u9fff\uf900-\ufaff]|[^\s\u3400-\u9fff\uf900-\ufaff]+\s*|\s+/gu) ?? [];
    let piece = '';
    for (const token of tokens) {
      if (piece && [...piece].length + [...token].length > size) {
        pieces.push(piece);
        piece = '';
      }
      piece += token;
    }
    if (piece) pieces.push(piece);
  }
  return pieces;
}

/** Markdown of a reply as plain text, for channels that show no formatting. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s)]+)\)/g, '$1 $2')
    .replace(/^(\s*)[-*+]\s+/gm, '$1• ');
}

/** The numbered sources under a reply: "[1] title url". */
export function sourcesList(citations: Citation[], lang: Lang): string {
  if (!citations.length) return '';
  const head = lang === 'zh' ? '来源：' : 'Sources:';
  return [head, ...citations.map((c) => `[${c.n}] ${c.title}${c.url ? ` ${c.url}` : ''}`)].join('\n');
}

/** A whole reply as plain text with its sources, for WeChat and the OpenAI-compatible API. */
export function plainReply(reply: Pick<MentorReply, 'reply' | 'citations' | 'lang'>): string {
  const sources = sourcesList(reply.citations, reply.lang);
  return sources ? `${plainText(reply.reply)}\n\n${sources}` : plainText(reply.reply);
}

/** A whole reply as Markdown with its sources as a short list, for chat UIs (the OpenAI-compatible API). */
export function markdownReply(reply: Pick<MentorReply, 'reply' | 'citations' | 'lang'>): string {
  if (!reply.citations.length) return reply.reply;
  const head = reply.lang === 'zh' ? '**来源**' : '**Sources**';
  const lines = reply.citations.map((c) => `- [${c.n}] ${c.url ? `[${c.title}](${c.url})` : c.title}${c.date ? ` (${c.date})` : ''}`);
  return `${reply.reply}\n\n${head}\n${lines.join('\n')}`;
}
