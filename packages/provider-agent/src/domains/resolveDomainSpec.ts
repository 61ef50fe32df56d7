import type { AgentApiSchemas } from '../api/apiTypes';
import path from 'node:path';
import type { AgentNetwork } from '../config/AgentConfig';
import { InstanceDisks } from '../disks/InstanceDisks';
import { AgentError } from '../errors/AgentError';
import { ResolvedDomainSpec, ResolvedNic } from '../hypervisor/Hypervisor';
import { ImageStore } from '../images/ImageStore';
import { validateName } from '../validation/names';
import { DomainRecords } from './DomainRecords';

/** What resolving a domain spec reads on this host. */
export interface ResolveHost {
  disks: InstanceDisks;
  images: ImageStore;
  networks: AgentNetwork[];
  records: DomainRecords;
}

/** How a domain spec resolves on this host: its disks' paths, console log, boot images and NICs. */
export async function resolveDomainSpec(
  host: ResolveHost,
  name: string,
  spec: AgentApiSchemas['DomainSpec'],
): Promise<ResolvedDomainSpec> {
  const disk = await host.disks.require(spec.disk);
  const nics = await resolveNics(host, name, spec.nics ?? []);

  const resolved: ResolvedDomainSpec = {
    name,
    vcpus: spec.vcpus,
    memoryMiB: spec.memoryMiB,
    disks: [{ path: disk.path, format: 'qcow2', target: 'vda' }],
    consoleLogPath: path.join(host.records.dir(name), 'console.log'),
    nics,
  };
  if (disk.seedPath)
    resolved.disks.push({
      path: disk.seedPath,
      format: 'raw',
      target: 'vdb',
      readOnly: true,
    });
  // Volumes follow, vdc onwards; the guest finds each by its serial.
  for (const volume of disk.volumes ?? [])
    resolved.disks.push({
      path: volume.path,
      format: 'qcow2',
      target: `vd${String.fromCharCode(97 + resolved.disks.length)}`,
      serial: volume.serial,
    });
  if (spec.kernel) {
    if (
      spec.kernel.cmdline !== undefined &&
      (spec.kernel.cmdline.length > 1024 ||
        /[\0\n\r]/.test(spec.kernel.cmdline))
    ) {
      throw new AgentError(
        'INVALID_REQUEST',
        'kernel.cmdline must be one line of at most 1024 characters',
      );
    }
    resolved.kernel = {
      path: (await host.images.resolve('boot', spec.kernel.kernel)).path,
      initrdPath: spec.kernel.initrd
        ? (await host.images.resolve('boot', spec.kernel.initrd)).path
        : undefined,
      cmdline: spec.kernel.cmdline,
    };
  }
  return resolved;
}

/** A NIC on one of this host's networks, with where its addresses are learned. */
export function resolveNic(
  networks: AgentNetwork[],
  nic: { network: string; mac: string },
): ResolvedNic {
  const network = networks.find(n => n.name === nic.network);
  if (!network)
    throw new AgentError(
      'UNKNOWN_NETWORK',
      `This host offers no network ${nic.network}; it offers ${networks.map(n => n.name).join(', ') || 'none'}`,
    );
  return {
    network: network.libvirtNetwork ?? network.name,
    mac: nic.mac,
    addressSource: network.mode === 'nat' ? 'lease' : 'arp',
  };
}

/** NICs on networks this host offers, with MACs no other domain here holds. */
async function resolveNics(
  host: ResolveHost,
  name: string,
  nics: Array<{ network: string; mac: string }>,
): Promise<ResolvedNic[]> {
  const seen = new Set<string>();
  for (const nic of nics) {
    validateName(nic.network, 'network name');
    if (
      typeof nic.mac !== 'string' ||
      !/^[0-9a-f][02468ace](:[0-9a-f]{2}){5}$/.test(nic.mac)
    )
      throw new AgentError(
        'INVALID_REQUEST',
        `Invalid MAC address ${JSON.stringify(nic.mac)}: use a unicast address in lower case, e.g. 02:7e:00:12:34:56`,
      );
    if (seen.has(nic.mac))
      throw new AgentError(
        'INVALID_REQUEST',
        `MAC address ${nic.mac} is given to two NICs`,
      );
    seen.add(nic.mac);
  }
  const resolved = nics.map(n => resolveNic(host.networks, n));
  if (seen.size) {
    for (const other of await host.records.names()) {
      if (other === name) continue;
      const mac = (await host.records.read(other))?.spec.nics?.find(n =>
        seen.has(n.mac),
      )?.mac;
      if (mac)
        throw new AgentError(
          'MAC_IN_USE',
          `MAC address ${mac} belongs to domain ${other} on this host`,
        );
    }
  }
  return resolved;
}
