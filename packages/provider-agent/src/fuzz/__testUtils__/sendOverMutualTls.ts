import https from 'node:https';

export type RawResponse = {
  status: number;
  contentType: string;
  text: string;
};

/** One request with exactly these bytes, over mutual TLS on a keep-alive agent. */
export function sendOverMutualTls(
  agent: https.Agent,
  baseUrl: string,
  request: {
    method: string;
    path: string;
    body?: string;
    contentType?: string;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (request.body !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    const { hostname, port } = new URL(baseUrl);
    // The path goes out byte for byte: no URL parser folds `.` or `..` segments.
    const req = https.request(
      {
        hostname,
        port,
        path: request.path,
        method: request.method,
        headers,
        agent,
        timeout: 30_000,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`${request.method} ${request.path} timed out`)),
    );
    req.on('error', reject);
    req.end(request.body);
  });
}
