import fs from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import {
  AgentConfigInput,
  defaultConfig,
  loadAgentConfig,
} from '../config/AgentConfig';
import { enrollAgent } from '../enrol/enrollAgent';
import { EnrolmentError } from '../enrol/EnrolmentError';
import { AgentError } from '../errors/AgentError';
import { createCertificateAuthority } from '../pki/createCertificateAuthority';
import { issueCertificate } from '../pki/issueCertificate';
import {
  readCertificateAuthority,
  writeCertificate,
  writePrivateKey,
} from '../pki/pemFiles';
import { startAgentServer } from '../server/startAgentServer';
import { agentVersion } from '../version';
import { unlessMissing } from '../storage/unlessMissing';

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  value,
];

function parseListen(value: string): { host?: string; port?: number } {
  const match = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(value);
  if (!match)
    throw new AgentError(
      'INVALID_REQUEST',
      `--listen takes [HOST:]PORT, not ${value}`,
    );
  return { ...(match[1] ? { host: match[1] } : {}), port: Number(match[2]) };
}

function serveOverrides(opts: Record<string, any>): AgentConfigInput {
  const listen = opts.listen ? parseListen(opts.listen) : {};
  return {
    name: opts.name,
    agentUrl: opts.agentUrl,
    dataDir: opts.dataDir,
    driver: opts.driver,
    logLevel: opts.logLevel,
    listen: {
      ...listen,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.port !== undefined ? { port: Number(opts.port) } : {}),
    },
    hypervisor: { uri: opts.hypervisorUri },
    tls: { cert: opts.tlsCert, key: opts.tlsKey, ca: opts.tlsCa },
    backend: {
      heartbeatUrl: opts.backendUrl,
      ...(opts.heartbeatInterval
        ? { heartbeatIntervalSeconds: Number(opts.heartbeatInterval) }
        : {}),
      token: opts.backendToken ?? process.env.TEMPEST_AGENT_BACKEND_TOKEN,
    },
    ...(opts.simCpus || opts.simMemoryMib || opts.simDiskGib
      ? {
          simulated: {
            ...(opts.simCpus ? { cpus: Number(opts.simCpus) } : {}),
            ...(opts.simMemoryMib
              ? { memoryMiB: Number(opts.simMemoryMib) }
              : {}),
            ...(opts.simDiskGib ? { diskGiB: Number(opts.simDiskGib) } : {}),
          },
        }
      : {}),
  };
}

/** An http URL to anything but this machine. */
function insecureRemote(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return (
      protocol === 'http:' &&
      !['localhost', '127.0.0.1', '[::1]'].includes(hostname) &&
      !hostname.startsWith('127.')
    );
  } catch {
    return false;
  }
}

export function createProgram(): Command {
  const program = new Command('tempest-agent')
    .description(
      'The Tempest host daemon: images, disks, domains and stats over mutual TLS',
    )
    .version(agentVersion);

  program
    .command('serve')
    .description('Run the agent API (HTTPS with mutual TLS)')
    .option('-c, --config <file>', 'YAML config file (flags override it)')
    .option('--name <name>', 'host name reported to the backend')
    .option(
      '--agent-url <url>',
      'https URL the backend reaches this agent at (sent in heartbeats)',
    )
    .option('--listen <[host:]port>', 'listen address')
    .option('--host <host>', 'listen host')
    .option(
      '--port <port>',
      'listen port (0 picks a free one; the log line "agent listening" tells which)',
    )
    .option('--data-dir <dir>', 'where images, disks and domain records live')
    .addOption(
      new Option('--driver <driver>', 'hypervisor driver').choices([
        'libvirt',
        'simulated',
      ]),
    )
    .option(
      '--hypervisor-uri <uri>',
      'libvirt URI, e.g. qemu:///system or test:///default',
    )
    .option('--tls-cert <file>', 'server certificate (PEM)')
    .option('--tls-key <file>', 'server private key (PEM)')
    .option(
      '--tls-ca <file>',
      'CA whose client certificates are accepted (PEM)',
    )
    .option('--backend-url <url>', 'heartbeat URL the agent POSTs to')
    .option(
      '--backend-token <token>',
      'bearer token for heartbeats (or TEMPEST_AGENT_BACKEND_TOKEN)',
    )
    .option('--heartbeat-interval <seconds>', 'seconds between heartbeats')
    .option('--sim-cpus <n>', 'simulated driver: CPUs reported')
    .option('--sim-memory-mib <n>', 'simulated driver: memory reported')
    .option('--sim-disk-gib <n>', 'simulated driver: disk reported')
    .option('--log-level <level>', 'pino log level')
    .action(async opts => {
      const config = loadAgentConfig({
        file: opts.config,
        overrides: serveOverrides(opts),
      });
      const agent = await startAgentServer(config);
      const log = agent.services.logger;
      let signalled = false;
      const onSignal = (signal: string) => {
        if (signalled) return;
        signalled = true;
        log.info({ signal }, 'signal received');
        agent.stop().then(
          () => process.exit(0),
          e => {
            log.error({ err: e }, 'stop failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => onSignal('SIGTERM'));
      process.on('SIGINT', () => onSignal('SIGINT'));
    });

  const ca = program
    .command('ca')
    .description('The local certificate authority');
  ca.command('init')
    .description('Create a CA (ca.crt, ca.key mode 0600) in a directory')
    .requiredOption('--dir <dir>', 'directory for ca.crt and ca.key')
    .option('--name <cn>', 'CA common name', 'Tempest local CA')
    .option('--force', 'replace an existing CA')
    .action(async opts => {
      const keyFile = path.join(opts.dir, 'ca.key');
      if (!opts.force && (await unlessMissing(fs.stat(keyFile), undefined))) {
        throw new AgentError(
          'INVALID_REQUEST',
          `${keyFile} exists; pass --force to replace the CA`,
        );
      }
      const created = await createCertificateAuthority({
        commonName: opts.name,
      });
      await writePrivateKey(keyFile, created.key);
      await writeCertificate(path.join(opts.dir, 'ca.crt'), created.cert);
      process.stdout.write(`Created CA in ${opts.dir} (ca.crt, ca.key)\n`);
    });

  const cert = program
    .command('cert')
    .description('Certificates issued by the local CA');
  cert
    .command('issue')
    .description(
      'Issue an agent (server and client, for migration), server or client (controller) certificate',
    )
    .requiredOption('--ca-dir <dir>', 'directory holding ca.crt and ca.key')
    .addOption(
      new Option('--kind <kind>', 'certificate kind')
        .choices(['agent', 'server', 'client'])
        .makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'common name (host name for a server)')
    .option(
      '--san <san>',
      'subject alternative name, DNS:x or IP:x (repeatable)',
      collect,
      [],
    )
    .option('--out <dir>', 'output directory (default: the CA directory)')
    .option('--days <n>', 'validity in days', '825')
    .action(async opts => {
      const authority = await readCertificateAuthority(opts.caDir);
      const issued = await issueCertificate({
        ca: authority,
        kind: opts.kind,
        name: opts.name,
        sans: opts.san,
        validDays: Number(opts.days),
      });
      const out = opts.out ?? opts.caDir;
      await writeCertificate(path.join(out, `${opts.name}.crt`), issued.cert);
      await writePrivateKey(path.join(out, `${opts.name}.key`), issued.key);
      process.stdout.write(
        `Issued ${opts.kind} certificate ${path.join(out, `${opts.name}.crt`)} (key mode 0600)\n`,
      );
    });

  program
    .command('enroll')
    .description(
      "Enrol this host with a Tempest backend: trade the one-time token for a certificate signed by the backend's CA and write an agent config",
    )
    .requiredOption(
      '--url <enrolUrl>',
      'enrolment URL printed at host registration (http or https)',
    )
    .addOption(
      new Option(
        '--token <token>',
        'one-time enrolment token (the variable keeps it out of ps)',
      )
        .env('TEMPEST_AGENT_ENROL_TOKEN')
        .makeOptionMandatory(),
    )
    .option(
      '--data-dir <dir>',
      'agent data directory; certificates go into its tls/ folder',
      defaultConfig.dataDir,
    )
    .option(
      '--agent-url <url>',
      'https://host:port the backend reaches this agent at (host added to the certificate, port listened on)',
    )
    .option(
      '--config <file>',
      'agent config to write (default: <data-dir>/agent.yaml)',
    )
    .addOption(
      new Option('--driver <driver>', 'driver written into the config').choices(
        ['libvirt', 'simulated'],
      ),
    )
    .option('--force', 'replace the files of an earlier enrolment')
    .action(async opts => {
      if (insecureRemote(opts.url)) {
        process.stderr.write(
          `tempest-agent: warning: ${opts.url} is plain http to another machine; the token and the heartbeat token travel unencrypted\n`,
        );
      }
      const outcome = await enrollAgent({
        url: opts.url,
        token: opts.token,
        dataDir: opts.dataDir,
        agentUrl: opts.agentUrl,
        configFile: opts.config,
        driver: opts.driver,
        force: opts.force,
      });
      process.stdout.write(
        [
          `Enrolled as host ${outcome.name} (${outcome.hostId}).`,
          `  CA certificate   ${outcome.files.ca}`,
          `  certificate      ${outcome.files.cert}`,
          `  private key      ${outcome.files.key} (0600, never sent)`,
          `  config           ${outcome.configFile} (0600, holds the heartbeat token)`,
          `Start the agent:   tempest-agent serve --config ${outcome.configFile}`,
          '',
        ].join('\n'),
      );
    });

  return program;
}

/** Entry point of the bin script. */
export async function runCli(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (e) {
    const message =
      e instanceof AgentError || e instanceof EnrolmentError
        ? `${e.code}: ${e.message}`
        : (e as Error).message;
    process.stderr.write(`tempest-agent: ${message}\n`);
    process.exitCode = e instanceof EnrolmentError ? e.exitCode : 1;
  }
}
