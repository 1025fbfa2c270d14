/** One numbered source in a reply; `[n]` in the text points at the citation with that `n`. */
export interface Citation {
  n: number;
  docId: string;
  chunkId: string;
  title: string;
  url?: string;
  /** A verbatim passage of the chunk that supports the reply. */
  quote: string;
  date?: string;
  confidence?: 'A' | 'B' | 'C';
}
