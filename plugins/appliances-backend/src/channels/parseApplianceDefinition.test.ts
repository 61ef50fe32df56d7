import fs from 'node:fs';
import path from 'node:path';
import { parseApplianceDefinition } from './parseApplianceDefinition';
import { DefinitionError } from './types';

const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, '__fixtures__', name), 'utf8');
const BASE = 'https://channels.example.com/sample/webserv.xml';

function problems(xml: string) {
  try {
    parseApplianceDefinition(xml, BASE);
  } catch (e) {
    if (e instanceof DefinitionError) return e.problems;
    throw e;
  }
  throw new Error('expected the definition to be refused');
}

/** Figure 2 with one line replaced. */
function figure2With(from: string | RegExp, to: string) {
  const xml = fixture('figure2.xml');
  const changed = xml.replace(from, to);
  expect(changed).not.toBe(xml);
  return changed;
}

/* eslint-disable no-script-url -- hostile javascript: links are the point of these tests */
describe('parseApplianceDefinition', () => {
  it('reads every field of STORM Figure 2', () => {
    expect(parseApplianceDefinition(fixture('figure2.xml'), BASE)).toEqual({
      label: 'Simple Web Server',
      description: 'A very simple and efficient test web server.',
      version: '1.0.0-0',
      sizeMb: 1024,
      imageUrl: 'http://cs.colorado.edu/appliances/webserv.tgz',
      signatureUrl: 'http://cs.colorado.edu/appliances/webserv.asc',
      provides: 'webserv',
      webpanel: '/upload.php',
      hardware: {
        cpus: 1,
        memoryKib: 524288,
        ostype: 'linux',
        disks: [
          { name: 'hda1', type: 'system', file: 'sys.img' },
          { name: 'hda3', type: 'swap', sizeMb: 128 },
          { name: 'hda2', type: 'user', sizeMb: 128 },
        ],
      },
      dependencies: [
        { name: 'emailserv', version: '1.0.0-0' },
        { name: 'firewall' },
      ],
      variables: [],
    });
  });

  it('reads the variables an appliance asks for at provisioning', () => {
    const def = parseApplianceDefinition(
      figure2With(
        '</hardware>',
        `</hardware>
  <variables>
    <variable name="REDIS_PASSWORD" required="true" secret="true">The password clients give (AUTH) &amp; more</variable>
    <variable name="MAXMEMORY" default="64mb" />
  </variables>`,
      ),
      BASE,
    );
    expect(def.variables).toEqual([
      {
        name: 'REDIS_PASSWORD',
        description: 'The password clients give (AUTH) & more',
        required: true,
        secret: true,
      },
      {
        name: 'MAXMEMORY',
        description: '',
        required: false,
        secret: false,
        default: '64mb',
      },
    ]);
  });

  it('refuses variables the guest could not take', () => {
    expect(
      problems(
        figure2With(
          '</hardware>',
          `</hardware><variables>
  <variable name="LD_PRELOAD">x</variable>
  <variable name="A" secret="yes" />
  <variable name="A" />
  <variable>no name</variable>
</variables>`,
        ),
      ),
    ).toEqual([
      {
        field: 'variables.variable[0].name',
        message:
          'expected a shell variable name such as DNS_RECORDS (not one the shell reserves), got "LD_PRELOAD"',
      },
      {
        field: 'variables.variable[1].secret',
        message: 'expected true or false, got "yes"',
      },
      {
        field: 'variables.variable[2].name',
        message: 'expected a unique variable name, got a second "A"',
      },
      {
        field: 'variables.variable[3].name',
        message: 'expected a name, got nothing',
      },
    ]);
  });

  it('resolves relative image and signature URLs against the definition', () => {
    const def = parseApplianceDefinition(fixture('mailrelay.xml'), BASE);
    expect(def.imageUrl).toBe(
      'https://channels.example.com/sample/mailrelay.tgz',
    );
    expect(def.signatureUrl).toBe(
      'https://channels.example.com/sample/mailrelay.tgz.asc',
    );
    expect(def.hardware.disks).toHaveLength(3);
  });

  it('decodes predefined entities and character references only', () => {
    const def = parseApplianceDefinition(
      figure2With('A very simple', 'Fish &amp; chips &#x263A; &lt;b&gt;'),
      BASE,
    );
    expect(def.description).toBe(
      'Fish & chips \u263a <b> and efficient test web server.'.replace(
        ' and',
        ' and',
      ),
    );
  });

  it('refuses external entities without reading the file', () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE appliance [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<appliance><label>&xxe;</label></appliance>`;
    const [problem] = problems(xml);
    expect(problem.field).toBe('document');
    expect(problem.message).toMatch(/DOCTYPE/);
    expect(JSON.stringify(problems(xml))).not.toMatch(/root:/);
  });

  it('refuses an entity-expansion bomb quickly', () => {
    const entities = Array.from(
      { length: 10 },
      (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`,
    ).join('');
    const xml = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY l0 "lol">${entities}]><appliance><label>&l10;</label></appliance>`;
    const started = Date.now();
    expect(problems(xml)[0].message).toMatch(/DOCTYPE/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('leaves an undeclared entity reference unexpanded', () => {
    const def = parseApplianceDefinition(
      figure2With('Simple Web Server', 'Web &xxe; Server'),
      BASE,
    );
    expect(def.label).toBe('Web &xxe; Server');
  });

  it('refuses binary garbage', () => {
    const garbage = Buffer.from(
      Array.from({ length: 512 }, (_, i) => (i * 37) % 256),
    ).toString('latin1');
    expect(problems(garbage)[0].message).toMatch(/binary|well-formed/);
    expect(problems('')[0].field).toBe('document');
    expect(problems('<rss version="2.0"/>')[0].message).toMatch(/<appliance>/);
  });

  it('names the field and what was expected for wrong types', () => {
    expect(problems(figure2With('<cpus>1</cpus>', '<cpus>one</cpus>'))).toEqual(
      [
        {
          field: 'hardware.cpus',
          message: 'expected a whole number of CPUs, got "one"',
        },
      ],
    );
    expect(
      problems(
        figure2With('<memory>524288</memory>', '<memory>-5</memory>'),
      )[0],
    ).toMatchObject({
      field: 'hardware.memory',
      message: expect.stringMatching(/^expected a whole number of KiB/),
    });
    expect(
      problems(figure2With('<size>1024</size>', '<size><b>1</b></size>'))[0],
    ).toMatchObject({
      field: 'size',
      message: expect.stringMatching(/expected text/),
    });
    expect(
      problems(figure2With('type="swap"', 'type="tape"'))[0],
    ).toMatchObject({
      field: 'hardware.disk[1].type',
      message: expect.stringMatching(
        /expected one of system, swap, user, data, got "tape"/,
      ),
    });
    expect(
      problems(
        figure2With(
          '<label>Simple Web Server</label>',
          '<label>a</label><label>b</label>',
        ),
      )[0],
    ).toMatchObject({
      field: 'label',
      message: 'expected one <label>, got 2',
    });
  });

  it('reports every missing required field at once', () => {
    const fields = problems(
      `<appliance version="1.0"><description>x</description></appliance>`,
    ).map(p => p.field);
    expect(fields).toEqual([
      'label',
      'version',
      'size',
      'url',
      'provides',
      'hardware',
    ]);
  });

  it('refuses non-http and malformed URLs', () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://x/y.tgz',
      'data:text/plain,hi',
      'http://user:pw@host/x',
    ]) {
      expect(
        problems(
          figure2With('http://cs.colorado.edu/appliances/webserv.tgz', url),
        )[0],
      ).toMatchObject({
        field: 'url',
        message: expect.stringMatching(/expected an http or https URL/),
      });
    }
    expect(
      problems(
        figure2With(
          'http://cs.colorado.edu/appliances/webserv.asc',
          'file:///etc/shadow',
        ),
      )[0].field,
    ).toBe('sig');
  });

  it('refuses javascript: and scheme-relative webpanel links', () => {
    for (const panel of [
      'javascript:alert(document.cookie)',
      'JaVaScRiPt:alert(1)',
      '//evil.example/x',
      'data:text/html,<b>',
      'vbscript:x',
    ]) {
      expect(
        problems(figure2With('/upload.php', panel.replace(/</g, '&lt;')))[0]
          .field,
      ).toBe('webpanel');
    }
    expect(
      parseApplianceDefinition(
        figure2With('/upload.php', 'https://panel.example.com/admin'),
        BASE,
      ).webpanel,
    ).toBe('https://panel.example.com/admin');
  });

  it('refuses path characters in names', () => {
    expect(
      problems(
        figure2With(
          '<provides>webserv</provides>',
          '<provides>../../etc</provides>',
        ),
      )[0].field,
    ).toBe('provides');
    expect(
      problems(
        figure2With(
          '<provides>webserv</provides>',
          '<provides>Web/Serv</provides>',
        ),
      )[0].field,
    ).toBe('provides');
    expect(
      problems(figure2With('file="sys.img"', 'file="../../etc/passwd"'))[0],
    ).toMatchObject({
      field: 'hardware.disk[0].file',
      message: expect.stringMatching(/without path characters/),
    });
    expect(
      problems(figure2With('name="hda1"', 'name="/dev/sda"'))[0].field,
    ).toBe('hardware.disk[0].name');
    expect(
      problems(
        figure2With(
          '<version>1.0.0-0</version>',
          '<version>1.0/../x</version>',
        ),
      )[0].field,
    ).toBe('version');
    expect(
      problems(
        figure2With(
          '<dependency>firewall</dependency>',
          '<dependency>fire wall:1:2</dependency>',
        ),
      )[0].field,
    ).toBe('dependency[1]');
  });

  it('refuses duplicate disk names and disks with both or neither of file and size', () => {
    expect(
      problems(figure2With('name="hda3"', 'name="hda1"'))[0],
    ).toMatchObject({
      field: 'hardware.disk[1].name',
      message: expect.stringMatching(/unique/),
    });
    expect(
      problems(
        figure2With(
          'size="128" />\n<disk name="hda2"',
          'size="128" file="x.img" />\n<disk name="hda2"',
        ),
      )[0].message,
    ).toMatch(/exactly one of file/);
  });

  it('refuses an unknown definition format version', () => {
    expect(
      problems(
        figure2With("<appliance version='1.0'>", "<appliance version='9.9'>"),
      )[0].field,
    ).toBe('appliance.version');
  });
});
