import { ResponseError } from '@backstage/errors';
import { errorSentence } from './errorSentence';

const response = (status: number, body: unknown) => ({
  status,
  statusText: 'Conflict',
  headers: new Headers({ 'content-type': 'application/json' }),
  text: async () => JSON.stringify(body),
  json: async () => body,
});

describe('errorSentence', () => {
  it("uses the backend's message, never its stack", async () => {
    const error = await ResponseError.fromResponse(
      response(409, {
        error: {
          name: 'ConflictError',
          message: "The hostname 'web-1' is already in use; choose another",
          stack: 'ConflictError: ...\n    at /work/x.ts:1:1',
        },
      }) as any,
    );
    expect(errorSentence(error)).toBe(
      "The hostname 'web-1' is already in use; choose another.",
    );
  });

  it('reads a JSON error body that was not labelled as JSON', () => {
    expect(
      errorSentence(
        new Error(
          'Request failed with status 409 Conflict, {"error":{"name":"ConflictError","message":"Channel x exists"}}',
        ),
      ),
    ).toBe('Channel x exists.');
  });

  it('words what the OpenAPI validator refused', () => {
    expect(
      errorSentence({
        body: {
          error: {
            message:
              'request/body/id must match pattern "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"',
          },
        },
      }),
    ).toBe('The value of id is not in the expected form.');
    expect(
      errorSentence({
        body: {
          error: { message: 'request/body/size/cpuCores must be <= 4096' },
        },
      }),
    ).toBe('The value of size.cpuCores must be at most 4096.');
  });

  it('explains a backend that does not answer, or answers without a message', () => {
    expect(errorSentence(new TypeError('Failed to fetch'))).toMatch(
      /did not answer/,
    );
    expect(errorSentence({ status: 502, message: 'Bad gateway' })).toMatch(
      /^The backend could not answer \(status 502\)/,
    );
    expect(errorSentence({ status: 403 })).toBe(
      'You are not allowed to do this.',
    );
  });
});
