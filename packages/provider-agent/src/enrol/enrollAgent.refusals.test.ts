import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { enrollAgent } from './enrollAgent';
import {
  TOKEN,
  enrolIntoData,
  nothingWritten,
  setUpEnrolmentTest,
} from './setUpEnrolmentTest';

jest.setTimeout(30_000);

describe('enrollAgent refusals', () => {
  const env = setUpEnrolmentTest();

  it("shows the backend's reason for a refused token and exits 2", async () => {
    const { backend, dir } = env;
    backend.state.behaviour = 'used';
    await expect(enrolIntoData(env)).rejects.toMatchObject({
      code: 'ENROLMENT_REFUSED',
      exitCode: 2,
      status: 403,
      message:
        'The backend refused the enrolment (403): The enrolment token is unknown, used or expired',
    });
    await nothingWritten(dir);
  });

  it('reports an unreachable or failing backend with exit 3', async () => {
    const { backend, dir } = env;
    const closed = http.createServer();
    await new Promise<void>(r => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>(r => closed.close(() => r()));
    await expect(
      enrollAgent({
        url: `http://127.0.0.1:${port}/api/appliances/agent/enroll`,
        token: TOKEN,
        dataDir: path.join(dir, 'data'),
      }),
    ).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      exitCode: 3,
      message: expect.stringMatching(
        /Cannot reach the backend at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
      ),
    });
    backend.state.behaviour = 'broken';
    await expect(enrolIntoData(env)).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      exitCode: 3,
      message: expect.stringMatching(/\(500\): database is on fire/),
    });
    backend.state.behaviour = 'garbage';
    await expect(enrolIntoData(env)).rejects.toMatchObject({
      code: 'BACKEND_UNREACHABLE',
      message: expect.stringMatching(/not JSON/),
    });
    await nothingWritten(dir);
  });

  it('refuses a certificate for another key or from another CA with exit 4, writing nothing', async () => {
    const { backend, dir } = env;
    backend.state.behaviour = 'otherKey';
    await expect(enrolIntoData(env)).rejects.toMatchObject({
      code: 'CERTIFICATE_MISMATCH',
      exitCode: 4,
      message: expect.stringMatching(/does not match the key/),
    });
    backend.state.behaviour = 'otherCa';
    await expect(enrolIntoData(env)).rejects.toMatchObject({
      code: 'CERTIFICATE_MISMATCH',
      message: expect.stringMatching(/not signed by the backend's CA/),
    });
    await nothingWritten(dir);
  });
});
