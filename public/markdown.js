// Safe Markdown for the mentor's replies: escape every character of HTML first, then render a tiny
// subset: paragraphs, bullet and numbered lists, **bold**, [n] citation markers and http(s) links.
// Nothing the text contains can become a tag or an attribute of its own.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

// On escaped text: a Markdown link, a bare URL, bold, or a citation marker.
const INLINE =
  /\[([^\]\n]+)\]\((https?:\/\/[^\s()<>]+)\)|(https?:\/\/[^\s<>()]*[^\s<>().,;:!?'"。，；：！？）】」])|\*\*(.+?)\*\*|\[(\d{1,2})\]/g;

function link(url, label) {
  return `<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">${label}</a>`;
}

function inline(escaped, options) {
  return escaped.replace(INLINE, (match, text, url, bare, bold, n) => {
    if (url) return link(url, text);
    if (bare) return link(bare, bare);
    if (bold !== undefined) return `<strong>${inline(bold, options)}</strong>`;
    const number = Number(n);
    if (number >= 1 && number <= (options.citations ?? 0)) {
      return `<a class="cite" href="#${options.citePrefix ?? 'cite'}-${number}" data-n="${number}">[${number}]</a>`;
    }
    return match;
  });
}

const BULLET = /^\s*(?:[-*+•·])\s+(.*)$/;
const NUMBERED = /^\s*\d{1,3}[.)、]\s*(.*)$/;

/**
 * Render a reply. `options.citations` is how many sources the reply has (markers beyond it stay
 * text); `options.citePrefix` makes the marker links point at `#<prefix>-<n>`.
 */
export function renderMarkdown(text, options = {}) {
  const lines = escapeHtml(text ?? '').replace(/\r\n?/g, '\n').split('\n');
  const html = [];
  let paragraph = [];
  let list = null;
  const flushParagraph = () => {
    if (paragraph.length) html.push(`<p>${paragraph.map((l) => inline(l, options)).join('<br>')}</p>`);
    paragraph = [];
  };
  const flushList = () => {
    if (list) html.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i, options)}</li>`).join('')}</${list.tag}>`);
    list = null;
  };
  for (const line of lines) {
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? 'ul' : 'ol';
      if (list && list.tag !== tag) flushList();
      list ??= { tag, items: [] };
      list.items.push((bullet ?? numbered)[1]);
    } else if (!line.trim()) {
      flushParagraph();
      flushList();
    } else {
      flushList();
      paragraph.push(line.trim());
    }
  }
  flushParagraph();
  flushList();
  return html.join('');
}
