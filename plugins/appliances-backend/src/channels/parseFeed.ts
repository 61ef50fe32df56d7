import { decodeXmlText, parseXmlDocument } from './xml';
import { resolveHttpUrl } from './urls';
import { ItemError } from './types';

/** An RSS item that points at an appliance definition. */
export type FeedItem = {
  /** How errors name the item: its guid, else its link, else its title, else its position. */
  name: string;
  title?: string;
  definitionUrl: string;
};

export type ParsedFeed = {
  title: string;
  items: FeedItem[];
  errors: ItemError[];
};

/** The feed as a whole is unusable; nothing from it is ingested. */
export class FeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedError';
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return decodeXmlText(value);
  if (
    value &&
    typeof value === 'object' &&
    typeof (value as any)['#text'] === 'string'
  ) {
    return decodeXmlText((value as any)['#text']);
  }
  return undefined;
}

/**
 * Parses an RSS 2.0 channel feed. Each item names its definition with an
 * `<enclosure url=".." type="application/xml">` or, failing that, its `<link>`;
 * relative URLs resolve against the feed URL. A bad item is reported in
 * `errors` and left out; a document that is not an RSS 2.0 feed throws.
 */
export function parseFeed(
  xml: string,
  feedUrl: string,
  maxItems: number,
): ParsedFeed {
  let doc: Record<string, unknown>;
  try {
    doc = parseXmlDocument(xml);
  } catch (e) {
    throw new FeedError(`feed: ${(e as Error).message}`);
  }
  const rss = doc.rss as Record<string, unknown> | undefined;
  if (!rss || typeof rss !== 'object' || Array.isArray(rss)) {
    throw new FeedError(
      'feed: expected an RSS 2.0 document with an <rss> root element',
    );
  }
  if (rss['@version'] !== '2.0') {
    throw new FeedError(
      `feed: expected <rss version="2.0">, got version ${JSON.stringify(rss['@version'] ?? null)}`,
    );
  }
  const channel = rss.channel as Record<string, unknown> | undefined;
  if (!channel || typeof channel !== 'object' || Array.isArray(channel)) {
    throw new FeedError('feed: expected one <channel> element inside <rss>');
  }
  const rawItems = (channel.item as unknown[] | undefined) ?? [];
  if (rawItems.length > maxItems) {
    throw new FeedError(
      `feed: expected at most ${maxItems} items, got ${rawItems.length}`,
    );
  }

  const items: FeedItem[] = [];
  const errors: ItemError[] = [];
  const seenNames = new Set<string>();
  const seenUrls = new Set<string>();
  rawItems.forEach((raw, index) => {
    const position = `item #${index + 1}`;
    if (!raw || typeof raw !== 'object') {
      errors.push({
        item: position,
        field: 'item',
        message: 'expected an <item> with a link or enclosure, got text',
      });
      return;
    }
    const node = raw as Record<string, unknown>;
    const title = text(node.title);
    const guid = text(node.guid);
    const link = text(node.link);
    const enclosures = (node.enclosure as unknown[] | undefined) ?? [];
    const enclosure = enclosures
      .map(e =>
        e && typeof e === 'object' ? (e as Record<string, unknown>) : {},
      )
      .find(
        e =>
          typeof e['@url'] === 'string' &&
          (!e['@type'] || /xml/i.test(String(e['@type']))),
      );
    const target = enclosure ? decodeXmlText(String(enclosure['@url'])) : link;
    const name = (guid || link || title || position).slice(0, 200);
    if (!target) {
      errors.push({
        item: name,
        field: 'link',
        message:
          'expected a <link> or xml <enclosure> pointing at the appliance definition, got nothing',
      });
      return;
    }
    const definitionUrl = resolveHttpUrl(target, feedUrl);
    if (!definitionUrl) {
      errors.push({
        item: name,
        field: enclosure ? 'enclosure.url' : 'link',
        message: `expected an http or https URL of the appliance definition, got ${JSON.stringify(target.slice(0, 60))}`,
      });
      return;
    }
    if (seenNames.has(name) || seenUrls.has(definitionUrl)) {
      errors.push({
        item: name,
        field: seenNames.has(name) ? 'guid' : 'link',
        message: 'expected each item once, got a duplicate',
      });
      return;
    }
    seenNames.add(name);
    seenUrls.add(definitionUrl);
    items.push({ name, title, definitionUrl });
  });
  return { title: text(channel.title) ?? '', items, errors };
}
