/** A live console session, closable with a websocket close code and a reason people can read. */
export interface ConsoleSession {
  close(code: number, reason: string): void;
}

/** Close code sent to a viewer whose session another one replaced. */
export const REPLACED_CLOSE_CODE = 4001;

/**
 * One console session per instance (in this backend process), as Virtuoso
 * does: a new session closes the one before it.
 */
export class ConsoleSessions {
  private readonly open = new Map<string, ConsoleSession>();

  /** Registers the instance's new session, closing any older one; returns its release. */
  add(instanceId: string, session: ConsoleSession): () => void {
    const previous = this.open.get(instanceId);
    this.open.set(instanceId, session);
    previous?.close(
      REPLACED_CLOSE_CODE,
      'Another console session for this instance was opened',
    );
    return () => {
      if (this.open.get(instanceId) === session) this.open.delete(instanceId);
    };
  }

  count(): number {
    return this.open.size;
  }

  closeAll(reason: string) {
    for (const session of this.open.values()) session.close(1001, reason);
    this.open.clear();
  }
}
