import { AgentCallError } from './agentCall';
import { MigrationStepName, Operation } from './OperationStore';
import { ProvisionRunnerOptions } from './ProvisionRunnerOptions';
import { StepError } from './StepError';

/** What an agent's long job (an import, a live migration) reports while it runs. */
export type AgentJob = {
  state: string;
  bytesDone: number;
  bytesTotal: number | null;
  progress: number | null;
  speedBytesPerSecond: number | null;
  heartbeatAt: string;
  startedAt: string;
  finishedAt?: string;
  error?: { code: string; message: string };
};

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Follows an agent's job until it leaves its running state, recording its
 * progress on the step. Its heartbeat must move within the heartbeat timeout:
 * one that stops (or an agent that stops answering) fails the step. Answers
 * the job as it ended; `succeeded` names the state that is not a failure.
 */
export async function followAgentJob<J extends AgentJob>(
  o: ProvisionRunnerOptions,
  pollMs: number,
  op: Operation,
  step: MigrationStepName,
  job: {
    read(): Promise<J>;
    running: string;
    succeeded: string;
    /** What the job does, for messages: "pulling the disk from h1". */
    doing: string;
    /** Which host's agent runs it. */
    hostName: string;
    /** Kept on the step beside the job's figures. */
    detail: Record<string, unknown>;
  },
): Promise<J> {
  const timeoutMs = o.migrationHeartbeatTimeoutMs ?? 30_000;
  let lastBeat: string | undefined;
  let lastBeatSeen = Date.now();
  for (;;) {
    let current: J | undefined;
    try {
      current = await job.read();
    } catch (e) {
      if (!(e instanceof AgentCallError && e.code === 'UNREACHABLE')) throw e;
    }
    if (current) {
      if (current.state === job.succeeded) return current;
      if (current.state !== job.running)
        throw new StepError(
          `${capitalised(job.doing)} ${current.state}: ${current.error?.message ?? 'no reason given'}`,
        );
      if (current.heartbeatAt !== lastBeat) {
        lastBeat = current.heartbeatAt;
        lastBeatSeen = Date.now();
      }
      await o.operations.updateStep(op.id, step, {
        progress: current.progress ?? 0,
        detail: {
          ...job.detail,
          bytesDone: current.bytesDone,
          bytesTotal: current.bytesTotal,
          speedBytesPerSecond: current.speedBytesPerSecond,
          heartbeatAt: current.heartbeatAt,
        },
      });
    }
    if (Date.now() - lastBeatSeen > timeoutMs)
      throw new StepError(
        `${job.hostName} sent no heartbeat for ${+(timeoutMs / 1000).toFixed(1)} s while ${job.doing}`,
      );
    await sleep(pollMs);
  }
}

/** A finished job's average speed, for a step quicker than one poll. */
export function averageSpeed(job: AgentJob): number | undefined {
  const tookMs = job.finishedAt
    ? Date.parse(job.finishedAt) - Date.parse(job.startedAt)
    : 0;
  return tookMs > 0 ? Math.round((job.bytesDone * 1000) / tookMs) : undefined;
}
