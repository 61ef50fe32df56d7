import os from 'node:os';
import path from 'node:path';
import { MAX_SOCKET_PATH, defaultSocketDir } from './defaultSocketDir';

const socketIn = (dir: string) =>
  path.join(dir, 'f4fd6463-28fe-41c1-b3f7-a35b10b0c3c5', 'mem.sock');

describe('defaultSocketDir', () => {
  it('keeps the sockets beside the data when their paths fit', () => {
    expect(defaultSocketDir('/var/lib/tempest-agent')).toBe(
      '/var/lib/tempest-agent/migration',
    );
  });

  it("moves them to a short folder of the agent's own when the data folder is deep", () => {
    // The embedded default's hosts in a checkout: each socket would be 116 characters.
    const deep = [
      '/work/wt/tidy/.tempest/embedded-hosts/sim-host-2/data',
      '/work/wt/tidy/.tempest/embedded-hosts/sim-host-3/data',
    ];
    expect(socketIn(path.join(deep[0], 'migration')).length).toBeGreaterThan(
      MAX_SOCKET_PATH,
    );
    const dirs = deep.map(defaultSocketDir);
    for (const dir of dirs) {
      expect(dir.startsWith(path.join(os.tmpdir(), 'tempest-migration-'))).toBe(
        true,
      );
      expect(socketIn(dir).length).toBeLessThanOrEqual(MAX_SOCKET_PATH);
    }
    // One agent, one folder: the same every start, never another agent's.
    expect(defaultSocketDir(deep[0])).toBe(dirs[0]);
    expect(dirs[0]).not.toBe(dirs[1]);
  });
});
