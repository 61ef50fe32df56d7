import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { libvirtSocketOf, VirshHypervisor } from './VirshHypervisor';
import { destinationUri, parseRawJobStats } from './virshLiveMove';

describe('live moves with virsh: URIs and figures', () => {
  it("names the destination's libvirtd through the tunnel socket, with our driver and path", () => {
    expect(destinationUri('qemu:///system', '/run/x/hv.sock')).toBe(
      'qemu+unix:///system?socket=/run/x/hv.sock',
    );
    expect(
      destinationUri(
        'qemu+unix:///system?socket=/tmp/a/sock',
        '/tmp/b/hv.sock',
      ),
    ).toBe('qemu+unix:///system?socket=/tmp/b/hv.sock');
    expect(() => destinationUri('qemu:///system', '/tmp/a b&c')).toThrow(
      /cannot carry/,
    );
    expect(() => destinationUri('weird', '/tmp/s')).toThrow(/Cannot tell/);
  });

  it("finds libvirtd's RPC socket from the URI", () => {
    expect(libvirtSocketOf('qemu:///system')).toBe('/run/libvirt/libvirt-sock');
    expect(libvirtSocketOf('qemu+unix:///system?socket=/tmp/s')).toBe('/tmp/s');
    expect(libvirtSocketOf('test:///default')).toBeUndefined();
    expect(new VirshHypervisor({ uri: 'qemu:///system' }).rpcSocket).toBe(
      '/run/libvirt/libvirt-sock',
    );
  });

  it("reads domjobinfo's raw figures and the job-completed event's", () => {
    expect(
      parseRawJobStats(
        'Job type: 2\n\noperation: 4\ndata_total: 67641344\ndata_processed: 660636\n',
      ),
    ).toEqual({ operation: 4, data_total: 67641344, data_processed: 660636 });
    expect(
      parseRawJobStats(
        "event 'job-completed' for domain 'vm':\n\tdowntime: 105\n\tdata_processed: 9\n",
      ),
    ).toEqual({ downtime: 105, data_processed: 9 });
  });
});

describe('addresses of a guest that moved here', () => {
  let dir: string;
  let calls: string;
  let virsh: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fake-virsh-'));
    calls = path.join(dir, 'calls');
    virsh = path.join(dir, 'virsh');
    // A stand-in virsh: no lease for 02:7e:00:00:00:01, an ARP entry for it; a lease for :02.
    await fs.writeFile(
      virsh,
      `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, args.join(' ') + '\\n');
const source = args[args.indexOf('--source') + 1];
const domain = args[args.indexOf('--domain') + 1];
if (source === 'lease' && domain === 'leased')
  console.log(' vnet0  02:7e:00:00:00:02  ipv4  192.168.122.7/24');
if (source === 'arp') console.log(' vnet0  02:7e:00:00:00:01  ipv4  192.168.122.9/0');
`,
      { mode: 0o755 },
    );
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('looks a lease NIC up in ARP when DHCP has no lease for it, and only then', async () => {
    const hv = new VirshHypervisor({ uri: 'qemu:///system', virsh });
    const nic = (mac: string) => ({
      network: 'default',
      mac,
      addressSource: 'lease' as const,
    });
    expect(
      await hv.interfaceAddresses('moved', [nic('02:7e:00:00:00:01')]),
    ).toEqual([{ mac: '02:7e:00:00:00:01', addresses: ['192.168.122.9'] }]);
    await fs.writeFile(calls, '');
    expect(
      await hv.interfaceAddresses('leased', [nic('02:7e:00:00:00:02')]),
    ).toEqual([{ mac: '02:7e:00:00:00:02', addresses: ['192.168.122.7'] }]);
    expect(await fs.readFile(calls, 'utf8')).not.toMatch(/--source arp/);
  });
});
