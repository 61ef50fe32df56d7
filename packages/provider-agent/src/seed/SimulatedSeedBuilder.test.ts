import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seedContract, SeedFixture } from './seedContract';
import { SimulatedSeedBuilder } from './SimulatedSeedBuilder';

describe('SimulatedSeedBuilder', () => {
  let fixture: SeedFixture;
  beforeAll(async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-seed-'));
    fixture = { root, builder: new SimulatedSeedBuilder(root) };
  });
  afterAll(() => fs.rm(fixture.root, { recursive: true, force: true }));
  describe('contract', () => {
    seedContract(() => fixture);
  });
});
