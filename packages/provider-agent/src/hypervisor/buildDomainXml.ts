import { ResolvedDomainSpec } from './Hypervisor';
import { escapeXml as x } from './escapeXml';

/**
 * Builds libvirt domain XML from a typed spec. Every value goes through
 * escapeXml, so no field can add elements or attributes.
 */
export function buildDomainXml(
  spec: ResolvedDomainSpec,
  domainType: string,
  /** A live move's destination keeps the source's uuid and machine type. */
  keep: { uuid?: string; machine?: string } = {},
): string {
  const lines: string[] = [];
  lines.push(`<domain type='${x(domainType)}'>`);
  lines.push(`  <name>${x(spec.name)}</name>`);
  if (keep.uuid) lines.push(`  <uuid>${x(keep.uuid)}</uuid>`);
  lines.push(`  <memory unit='MiB'>${x(spec.memoryMiB)}</memory>`);
  lines.push(`  <vcpu>${x(spec.vcpus)}</vcpu>`);
  lines.push(`  <os>`);
  lines.push(
    keep.machine
      ? `    <type arch='x86_64' machine='${x(keep.machine)}'>hvm</type>`
      : `    <type arch='x86_64'>hvm</type>`,
  );
  if (spec.kernel) {
    lines.push(`    <kernel>${x(spec.kernel.path)}</kernel>`);
    if (spec.kernel.initrdPath)
      lines.push(`    <initrd>${x(spec.kernel.initrdPath)}</initrd>`);
    if (spec.kernel.cmdline)
      lines.push(`    <cmdline>${x(spec.kernel.cmdline)}</cmdline>`);
  } else {
    lines.push(`    <boot dev='hd'/>`);
  }
  lines.push(`  </os>`);
  lines.push(`  <features><acpi/></features>`);
  lines.push(`  <on_poweroff>destroy</on_poweroff>`);
  lines.push(`  <on_reboot>restart</on_reboot>`);
  lines.push(`  <on_crash>destroy</on_crash>`);
  lines.push(`  <devices>`);
  for (const disk of spec.disks) {
    lines.push(`    <disk type='file' device='disk'>`);
    lines.push(`      <driver name='qemu' type='${x(disk.format)}'/>`);
    lines.push(`      <source file='${x(disk.path)}'/>`);
    lines.push(`      <target dev='${x(disk.target)}' bus='virtio'/>`);
    if (disk.readOnly) lines.push(`      <readonly/>`);
    if (disk.serial) lines.push(`      <serial>${x(disk.serial)}</serial>`);
    lines.push(`    </disk>`);
  }
  for (const nic of spec.nics ?? []) {
    lines.push(`    <interface type='network'>`);
    lines.push(`      <mac address='${x(nic.mac)}'/>`);
    lines.push(`      <source network='${x(nic.network)}'/>`);
    lines.push(`      <model type='virtio'/>`);
    lines.push(`    </interface>`);
  }
  if (spec.vnc !== false) {
    // Loopback only: the agent is the one way in (over mutual TLS), never the network.
    lines.push(`    <graphics type='vnc' autoport='yes' listen='127.0.0.1'>`);
    lines.push(`      <listen type='address' address='127.0.0.1'/>`);
    lines.push(`    </graphics>`);
    lines.push(`    <video><model type='vga'/></video>`);
  }
  if (spec.consoleLogPath) {
    lines.push(`    <serial type='file'>`);
    lines.push(`      <source path='${x(spec.consoleLogPath)}'/>`);
    lines.push(`      <target port='0'/>`);
    lines.push(`    </serial>`);
  }
  lines.push(`  </devices>`);
  lines.push(`</domain>`);
  return `${lines.join('\n')}\n`;
}
