// The editor's live preview of a document body. Every character of HTML is escaped first; only then
// is a small Markdown subset turned into tags (headings, paragraphs, lists, quotes, code, pipe tables,
// **bold**, `code` and http(s) links), so nothing typed can become a tag or an attribute of its own.
import { escapeHtml } from '/static/markdown.js';

// On escaped text: a Markdown link to http(s), a bare http(s) URL, **bold**, or `code`.
const INLINE = /\[([^\]\n]+)\]\((https?:\/\/[^\s()<>]+)\)|(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"。，；：！？）】」])|\*\*(.+?)\*\*|`([^`\n]+)`/g;

function inline(escaped) {
  return escaped.replace(INLINE, (_m, text, url, bare, bold, code) => {
    if (url) return `<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">${text}</a>`;
    if (bare) return `<a href="${bare}" target="_blank" rel="noopener noreferrer nofollow">${bare}</a>`;
    if (bold !== undefined) return `<strong>${inline(bold)}</strong>`;
    return `<code>${code}</code>`;
  });
}

const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,3}[.)]\s+(.*)$/;
const QUOTE = /^\s*&gt;\s?(.*)$/;
const TABLE_ROW = /^\s*\|(.*)\|\s*$/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

const cells = (row) => TABLE_ROW.exec(row)[1].split('|').map((c) => inline(c.trim()));

export function renderPreview(markdown) {
  const lines = escapeHtml(markdown ?? '').replace(/\r\n?/g, '\n').split('\n');
  const html = [];
  let paragraph = [];
  let list = null;
  let quote = [];
  const flush = () => {
    if (paragraph.length) html.push(`<p>${paragraph.map(inline).join('<br>')}</p>`);
    paragraph = [];
    if (list) html.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join('')}</${list.tag}>`);
    list = null;
    if (quote.length) html.push(`<blockquote>${quote.map(inline).join('<br>')}</blockquote>`);
    quote = [];
  };
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (/^\s*```/.test(line)) {
      flush();
      const code = [];
      for (k++; k < lines.length && !/^\s*```/.test(lines[k]); k++) code.push(lines[k]);
      html.push(`<pre><code>${code.join('\n')}</code></pre>`);
      continue;
    }
    if (TABLE_ROW.test(line) && k + 1 < lines.length && TABLE_RULE.test(lines[k + 1])) {
      flush();
      const head = cells(line);
      const rows = [];
      for (k += 2; k < lines.length && TABLE_ROW.test(lines[k]); k++) rows.push(cells(lines[k]));
      k--;
      html.push(
        `<div class="table-wrap"><table><thead><tr>${head.map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
          .join('')}</tbody></table></div>`,
      );
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      html.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      const tag = bullet ? 'ul' : 'ol';
      if (paragraph.length || quote.length || (list && list.tag !== tag)) flush();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)[1]);
      continue;
    }
    const quoted = QUOTE.exec(line);
    if (quoted) {
      if (paragraph.length || list) flush();
      quote.push(quoted[1]);
      continue;
    }
    if (!line.trim()) {
      flush();
      continue;
    }
    if (list && /^\s{2,}\S/.test(line)) {
      // A continuation of the last list item.
      list.items[list.items.length - 1] += ` ${line.trim()}`;
      continue;
    }
    if (list || quote.length) flush();
    paragraph.push(line.trim());
  }
  flush();
  return html.join('');
}
