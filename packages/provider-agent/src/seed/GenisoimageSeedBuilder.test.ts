import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../exec/runCommand';
import { describeWithTools } from '../testing/describeWithTools';
import { GenisoimageSeedBuilder } from './GenisoimageSeedBuilder';
import { seedContract, SeedFixture } from './seedContract';

describeWithTools(['genisoimage', 'isoinfo'], 'GenisoimageSeedBuilder', () => {
  let fixture: SeedFixture;
  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'iso-seed-'));
    fixture = { root, builder: new GenisoimageSeedBuilder(root) };
  });
  afterAll(() => fs.rm(fixture.root, { recursive: true, force: true }));
  describe('contract', () => {
    seedContract(() => fixture);
  });

  it('labels the ISO cidata, as cloud-init NoCloud looks for', async () => {
    const file = path.join(fixture.root, 'label', 'seed.iso');
    await fixture.builder.build(file, {
      instanceId: 'label',
      hostname: 'label',
    });
    const { stdout } = await runCommand('isoinfo', ['-d', '-i', file]);
    expect(stdout).toMatch(/Volume id: cidata/);
  });
});
