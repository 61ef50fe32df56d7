import fs from 'node:fs';
import path from 'node:path';
import { FeedError, parseFeed } from './parseFeed';

const FEED_URL = 'https://channels.example.com/sample/feed.xml';
const sampleFeed = fs.readFileSync(
  path.resolve(__dirname, '../../../../catalog/channels/sample/feed.xml'),
  'utf8',
);

function feed(items: string) {
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>T &amp; Co</title>${items}</channel></rss>`;
}

describe('parseFeed', () => {
  it('reads the sample channel feed', () => {
    const parsed = parseFeed(sampleFeed, FEED_URL, 100);
    expect(parsed.title).toBe('Tempest sample channel');
    expect(parsed.errors).toEqual([]);
    expect(parsed.items.length).toBeGreaterThanOrEqual(8);
    expect(parsed.items[0]).toEqual({
      name: 'sample/webserv-1.0.0',
      title: 'Simple Web Server 1.0.0-0',
      definitionUrl: 'https://channels.example.com/sample/webserv-1.0.0.xml',
    });
  });

  it('prefers an xml enclosure to the link', () => {
    const parsed = parseFeed(
      feed(
        `<item><title>x</title><link>https://example.com/page.html</link><enclosure url="defs/x.xml" type="application/xml" length="10"/></item>`,
      ),
      FEED_URL,
      10,
    );
    expect(parsed.title).toBe('T & Co');
    expect(parsed.items[0].definitionUrl).toBe(
      'https://channels.example.com/sample/defs/x.xml',
    );
  });

  it('reports and skips bad items, keeping the rest', () => {
    const parsed = parseFeed(
      feed(`
        <item><guid>ok</guid><link>ok.xml</link></item>
        <item><guid>local</guid><link>file:///etc/passwd</link></item>
        <item><guid>script</guid><link>javascript:alert(1)</link></item>
        <item><title>nothing</title></item>
        <item><guid>ok</guid><link>other.xml</link></item>
        <item><guid>again</guid><link>ok.xml</link></item>
        <item>just text</item>`),
      FEED_URL,
      100,
    );
    expect(parsed.items.map(i => i.name)).toEqual(['ok']);
    expect(parsed.errors).toEqual([
      {
        item: 'local',
        field: 'link',
        message:
          'expected an http or https URL of the appliance definition, got "file:///etc/passwd"',
      },
      {
        item: 'script',
        field: 'link',
        message: expect.stringMatching(/expected an http or https URL/),
      },
      {
        item: 'nothing',
        field: 'link',
        message: expect.stringMatching(/expected a <link> or xml <enclosure>/),
      },
      {
        item: 'ok',
        field: 'guid',
        message: 'expected each item once, got a duplicate',
      },
      {
        item: 'again',
        field: 'link',
        message: 'expected each item once, got a duplicate',
      },
      {
        item: 'item #7',
        field: 'item',
        message: expect.stringMatching(/expected an <item>/),
      },
    ]);
  });

  it('refuses documents that are not RSS 2.0 feeds', () => {
    expect(() =>
      parseFeed('<feed xmlns="http://www.w3.org/2005/Atom"/>', FEED_URL, 10),
    ).toThrow(/expected an RSS 2.0 document/);
    expect(() =>
      parseFeed('<rss version="0.91"><channel/></rss>', FEED_URL, 10),
    ).toThrow(/version="2.0"/);
    expect(() => parseFeed('<rss version="2.0"></rss>', FEED_URL, 10)).toThrow(
      /<channel>/,
    );
    expect(() => parseFeed('\u0000\u0001\u0002PK', FEED_URL, 10)).toThrow(
      FeedError,
    );
    expect(() =>
      parseFeed('<rss version="2.0"><channel>', FEED_URL, 10),
    ).toThrow(/well-formed/);
  });

  it('refuses external entities and DTDs', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/hostname">]><rss version="2.0"><channel><item><link>&x;</link></item></channel></rss>`;
    expect(() => parseFeed(xml, FEED_URL, 10)).toThrow(/DOCTYPE/);
  });

  it('refuses more items than allowed', () => {
    const items = Array.from(
      { length: 11 },
      (_, i) => `<item><link>${i}.xml</link></item>`,
    ).join('');
    expect(() => parseFeed(feed(items), FEED_URL, 10)).toThrow(
      /at most 10 items, got 11/,
    );
  });
});
