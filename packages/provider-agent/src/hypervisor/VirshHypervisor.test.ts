import { describeWithTools } from '../testing/describeWithTools';
import { VirshHypervisor } from './VirshHypervisor';

describeWithTools(
  ['virsh'],
  'VirshHypervisor on test:///default (no daemon, no state between calls)',
  () => {
    const hv = new VirshHypervisor({ uri: 'test:///default' });

    it('reads node info and the built-in running domain', async () => {
      expect((await hv.nodeInfo()).cpus).toBeGreaterThan(0);
      await expect(hv.status('test')).resolves.toMatchObject({
        name: 'test',
        state: 'running',
      });
      expect((await hv.cpuTimes()).get('test')).toBeGreaterThan(0);
      expect((await hv.list()).map(d => d.name)).toContain('test');
    });

    it('maps virsh errors to stable codes', async () => {
      await expect(hv.status('ghost')).rejects.toMatchObject({
        code: 'UNKNOWN_DOMAIN',
      });
      await expect(hv.start('test')).rejects.toMatchObject({
        code: 'DOMAIN_STATE_CONFLICT',
      });
      await expect(hv.resume('test')).rejects.toMatchObject({
        code: 'DOMAIN_STATE_CONFLICT',
      });
    });

    it('refuses a URI that could become a virsh flag', () => {
      expect(() => new VirshHypervisor({ uri: '--readonly' })).toThrow(
        /Invalid hypervisor URI/,
      );
    });
  },
);
