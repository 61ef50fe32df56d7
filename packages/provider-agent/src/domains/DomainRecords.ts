import fs from 'node:fs/promises';
import path from 'node:path';
import type { AgentApiSchemas } from '../api/apiTypes';
import { readJson, writeJsonAtomic } from '../storage/writeJsonAtomic';
import { unlessMissing } from '../storage/unlessMissing';
import { resolveInside } from '../validation/dataPath';
import { validateName } from '../validation/names';

/** What this agent keeps of a domain it defined, beside the hypervisor's own definition. */
export interface DomainRecord {
  name: string;
  spec: AgentApiSchemas['DomainSpec'];
  definedAt: string;
  startedAt?: string;
  /** Addresses a guest moved here live brought with it, per NIC; they last until it stops. */
  carriedAddresses?: Array<{ mac: string; addresses: string[] }>;
}

/**
 * The agent's domain records, one directory each (`domains/<name>/domain.json`,
 * with the domain's console log). Records read or written are kept, so listing
 * domains (heartbeats, stats, the disk-in-use and MAC checks of every define)
 * reads each file once instead of every domain's file each time. This is the
 * only writer of the records; callers get copies.
 */
export class DomainRecords {
  private readonly root: string;
  private readonly records = new Map<string, DomainRecord>();
  /** Bumped on every write and removal, so a read that raced one is not cached. */
  private changes = 0;

  constructor(dataDir: string) {
    this.root = resolveInside(dataDir, 'domains');
  }

  /** The names of every recorded domain. */
  names(): Promise<string[]> {
    return unlessMissing(fs.readdir(this.root), []);
  }

  async read(name: string): Promise<DomainRecord | undefined> {
    let record = this.records.get(name);
    if (!record) {
      const before = this.changes;
      record = await readJson<DomainRecord>(this.file(name));
      if (!record) return undefined;
      if (this.changes === before) this.records.set(name, record);
    }
    return structuredClone(record);
  }

  async write(record: DomainRecord) {
    // Forgotten first: a failed write leaves the file as it was, read again next time.
    this.forget(record.name);
    await writeJsonAtomic(this.file(record.name), record);
    this.changes++;
    this.records.set(record.name, structuredClone(record));
  }

  /** Removes the domain's record and its directory. */
  async remove(name: string) {
    this.forget(name);
    await fs.rm(this.dir(name), { recursive: true, force: true });
    this.changes++;
  }

  /** The domain's directory (its record and console log). */
  dir(name: string) {
    return resolveInside(this.root, validateName(name, 'domain name'));
  }

  private forget(name: string) {
    this.changes++;
    this.records.delete(name);
  }

  private file(name: string) {
    return path.join(this.dir(name), 'domain.json');
  }
}
