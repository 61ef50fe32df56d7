import { execFile } from 'node:child_process';
import { AgentError } from '../errors/AgentError';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export class CommandFailedError extends AgentError {
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly stderr: string,
    readonly exitCode: number | string | null,
  ) {
    super(
      'COMMAND_FAILED',
      `${command} ${args[0] ?? ''} failed: ${stderr.trim() || `exit ${exitCode}`}`,
    );
  }
}

/** Runs a program with an argument array (never through a shell). */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args as string[],
      {
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as any).code;
          if (code === 'ENOENT') {
            reject(
              new AgentError(
                'COMMAND_FAILED',
                `${command} is not installed or not on PATH`,
                { cause: error },
              ),
            );
            return;
          }
          reject(
            new CommandFailedError(
              command,
              args,
              String(stderr),
              code ?? (error as any).signal ?? null,
            ),
          );
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
