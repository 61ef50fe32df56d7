/** Undo could not finish (the host is unreachable); the rollback is retried later. */
export class UndoPending extends Error {}
