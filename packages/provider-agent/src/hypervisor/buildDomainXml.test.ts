import { buildDomainXml } from './buildDomainXml';

describe('buildDomainXml', () => {
  it('escapes every value', () => {
    const xml = buildDomainXml(
      {
        name: 'web',
        vcpus: 1,
        memoryMiB: 128,
        disks: [
          { path: "/data/a'b<c>&.qcow2", format: 'qcow2', target: 'vda' },
        ],
        kernel: {
          path: '/data/k',
          cmdline: `console=ttyS0 x="</cmdline><devices>"`,
        },
        consoleLogPath: '/data/console.log',
      },
      'qemu',
    );
    expect(xml).toContain(
      `<source file='/data/a&apos;b&lt;c&gt;&amp;.qcow2'/>`,
    );
    expect(xml).toContain(
      '<cmdline>console=ttyS0 x=&quot;&lt;/cmdline&gt;&lt;devices&gt;&quot;</cmdline>',
    );
    expect(xml).toContain("<domain type='qemu'>");
    expect(xml.match(/<devices>/g)).toHaveLength(1);
  });

  it('gives a volume the serial the guest finds it by', () => {
    const xml = buildDomainXml(
      {
        name: 'web',
        vcpus: 1,
        memoryMiB: 128,
        disks: [
          {
            path: '/data/swap.qcow2',
            format: 'qcow2',
            target: 'vdc',
            serial: 'tempest-swap',
          },
        ],
      },
      'qemu',
    );
    expect(xml).toContain(
      [
        "    <disk type='file' device='disk'>",
        "      <driver name='qemu' type='qcow2'/>",
        "      <source file='/data/swap.qcow2'/>",
        "      <target dev='vdc' bus='virtio'/>",
        '      <serial>tempest-swap</serial>',
        '    </disk>',
      ].join('\n'),
    );
  });

  it('gives each NIC its MAC on its network', () => {
    const xml = buildDomainXml(
      {
        name: 'web',
        vcpus: 1,
        memoryMiB: 128,
        disks: [],
        nics: [
          {
            network: 'default',
            mac: '02:7e:00:00:00:01',
            addressSource: 'lease',
          },
        ],
      },
      'qemu',
    );
    expect(xml).toContain(
      [
        "    <interface type='network'>",
        "      <mac address='02:7e:00:00:00:01'/>",
        "      <source network='default'/>",
        "      <model type='virtio'/>",
        '    </interface>',
      ].join('\n'),
    );
  });

  it('gives every domain a VNC display on the loopback only, unless asked not to', () => {
    const spec = { name: 'web', vcpus: 1, memoryMiB: 128, disks: [] };
    const xml = buildDomainXml(spec, 'qemu');
    expect(xml).toContain(
      "<graphics type='vnc' autoport='yes' listen='127.0.0.1'>",
    );
    expect(xml).toContain("<listen type='address' address='127.0.0.1'/>");
    expect(xml).not.toMatch(/0\.0\.0\.0|passwd/);
    expect(buildDomainXml({ ...spec, vnc: false }, 'qemu')).not.toContain(
      '<graphics',
    );
  });

  it('refuses control characters', () => {
    expect(() =>
      buildDomainXml(
        {
          name: 'a',
          vcpus: 1,
          memoryMiB: 1,
          disks: [],
          kernel: { path: '/k\u0001' },
        },
        'qemu',
      ),
    ).toThrow(/Control characters/);
  });
});
