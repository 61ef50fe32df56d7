import fs from 'node:fs/promises';
import path from 'node:path';
import { enrollAgent } from './enrollAgent';
import { TOKEN, setUpEnrolmentTest } from './setUpEnrolmentTest';

jest.setTimeout(30_000);

describe('enrollAgent input checks', () => {
  const env = setUpEnrolmentTest();

  it('checks URLs, the token and paths before sending anything', async () => {
    const { backend, dir } = env;
    const dataDir = path.join(dir, 'data');
    const cases: [Parameters<typeof enrollAgent>[0], RegExp][] = [
      [
        { url: 'ftp://backend/enroll', token: TOKEN, dataDir },
        /must be an http or https URL/,
      ],
      [{ url: 'not a url', token: TOKEN, dataDir }, /is not a URL/],
      [
        { url: 'http://user:pw@backend/enroll', token: TOKEN, dataDir },
        /credentials/,
      ],
      [{ url: backend.url, token: 'short', dataDir }, /16–128 printable/],
      [{ url: backend.url, token: `${TOKEN} x`, dataDir }, /16–128 printable/],
      [
        {
          url: backend.url,
          token: TOKEN,
          dataDir,
          agentUrl: 'http://host:7443',
        },
        /agent URL must be an https URL/,
      ],
      [
        { url: backend.url, token: TOKEN, dataDir: 'a\0b' },
        /not a usable path/,
      ],
      [
        { url: backend.url, token: TOKEN, dataDir, configFile: dir },
        /is a directory/,
      ],
    ];
    for (const [options, message] of cases) {
      await expect(enrollAgent(options)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        exitCode: 1,
        message: expect.stringMatching(message),
      });
    }
    await fs.writeFile(path.join(dir, 'file'), '');
    await expect(
      enrollAgent({
        url: backend.url,
        token: TOKEN,
        dataDir: path.join(dir, 'file'),
      }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/is not a directory/),
    });
    expect(backend.state.enrolRequests).toHaveLength(0);
  });
});
