import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultConfig } from '../config/AgentConfig';
import { EnrollAgentOptions } from './EnrollAgentOptions';
import { EnrolmentError } from './EnrolmentError';
import { unlessMissing } from '../storage/unlessMissing';

const invalid = (message: string) =>
  new EnrolmentError('INVALID_REQUEST', message);

function parseHttpUrl(value: string, what: string, schemes: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (!schemes.includes(url.protocol)) {
    throw invalid(
      `${what} must be an ${schemes.map(s => s.replace(':', '')).join(' or ')} URL, not ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw invalid(`${what} must not carry credentials`);
  }
  return url;
}

function checkPath(value: string, what: string): string {
  if (!value || value.includes('\0') || value.length > 4096) {
    throw invalid(`${what} ${JSON.stringify(value)} is not a usable path`);
  }
  return path.resolve(value);
}

async function assertDirectoryOrAbsent(dir: string, what: string) {
  const stat = await unlessMissing(fs.stat(dir), undefined);
  if (stat && !stat.isDirectory())
    throw invalid(`${what} ${dir} is not a directory`);
}

/**
 * Checks the flags and makes the directories the enrolment writes to: everything
 * that could stop the files being written fails here, before the token is spent.
 */
export async function prepareEnrolment(options: EnrollAgentOptions) {
  const enrolUrl = parseHttpUrl(options.url, 'The enrolment URL', [
    'http:',
    'https:',
  ]);
  const token = options.token?.trim() ?? '';
  if (!/^[\x21-\x7e]{16,128}$/.test(token)) {
    throw invalid(
      'The enrolment token must be 16–128 printable characters, as printed at registration',
    );
  }
  const agentUrl = options.agentUrl
    ? parseHttpUrl(options.agentUrl, 'The agent URL', ['https:'])
    : undefined;
  const agentHost = agentUrl?.hostname.replace(/^\[|\]$/g, '');
  const dataDir = checkPath(
    options.dataDir ?? defaultConfig.dataDir,
    'The data directory',
  );
  const configFile = checkPath(
    options.configFile ?? path.join(dataDir, 'agent.yaml'),
    'The config file',
  );
  const tlsDir = path.join(dataDir, 'tls');
  const files = {
    ca: path.join(tlsDir, 'ca.crt'),
    cert: path.join(tlsDir, 'agent.crt'),
    key: path.join(tlsDir, 'agent.key'),
  };

  await assertDirectoryOrAbsent(dataDir, 'The data directory');
  await assertDirectoryOrAbsent(tlsDir, 'The tls directory');
  if ((await unlessMissing(fs.stat(configFile), undefined))?.isDirectory()) {
    throw invalid(`The config file ${configFile} is a directory`);
  }
  if (!options.force) {
    for (const file of [files.key, files.cert, configFile]) {
      if (await unlessMissing(fs.stat(file), undefined)) {
        throw invalid(
          `${file} exists: this host looks enrolled already; pass --force to replace it`,
        );
      }
    }
  }
  for (const dir of [tlsDir, path.dirname(configFile)]) {
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.access(dir, fs.constants.W_OK);
    } catch (e) {
      throw invalid(`Cannot write to ${dir}: ${(e as Error).message}`);
    }
  }
  return { enrolUrl, token, agentUrl, agentHost, dataDir, configFile, files };
}
