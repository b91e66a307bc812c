/**
 * Reads what the rules need from the chain, and overlays this node's pending events on each consignment. Signer
 * keys and organizations change rarely and are cached for a short time; consignments are read fresh, because
 * other nodes move them. While the chain does not answer, the last values read stand in, so the node keeps
 * accepting for what it has seen; what it has never seen gets CHAIN_UNAVAILABLE.
 */
import type { LedgerClient } from "./ledgerClient";
import type { ConsignmentRecord, LedgerView, OrganizationRecord, SignerKeyRecord } from "../domain/ledgerRules";
import type { LedgerEvent } from "../domain/ledgerEvent";
import { applyEvent, projectConsignment } from "../domain/consignmentProjection";

interface Cached<T> {
  value: T;
  at: number;
}

export class ChainStateReader {
  private readonly organizations = new Map<number, Cached<OrganizationRecord | undefined>>();
  private readonly signerKeys = new Map<string, Cached<SignerKeyRecord | undefined>>();
  private paused: Cached<boolean> | undefined;
  private readonly lastConsignments = new Map<string, ConsignmentRecord | undefined>();

  constructor(
    private readonly client: LedgerClient,
    private readonly pendingFor: (consignmentId: string) => readonly LedgerEvent[],
    /** What this node knows without the chain (its own organizations and keys), for when the chain is away. */
    private readonly local: {
      organization(id: number): OrganizationRecord | undefined;
      signerKey(address: string): SignerKeyRecord | undefined;
    } = { organization: () => undefined, signerKey: () => undefined },
    private readonly ttlMs = 2_000,
  ) {}

  /** Forgets cached organizations and keys, after this node changed them. */
  invalidate(): void {
    // Expire rather than drop, so the last values can still stand in while the chain is away.
    for (const entry of [...this.organizations.values(), ...this.signerKeys.values()]) entry.at = 0;
    if (this.paused) this.paused.at = 0;
  }

  /** The node recorded these: the last known chain state moves with them, for when the chain is away. */
  noteRecorded(events: readonly LedgerEvent[]): void {
    for (const event of events) {
      const id = event.consignmentId.toLowerCase();
      this.lastConsignments.set(id, applyEvent(this.lastConsignments.get(id), event));
    }
  }

  async snapshot(needs: {
    consignmentIds: string[];
    signers: string[];
    organizationIds: number[];
  }): Promise<LedgerView> {
    const keys = new Map<string, SignerKeyRecord | undefined>();
    for (const signer of needs.signers) keys.set(signer.toLowerCase(), await this.signerKey(signer));
    const orgIds = new Set(needs.organizationIds);
    for (const key of keys.values()) if (key) orgIds.add(key.organizationId);
    const organizations = new Map<number, OrganizationRecord | undefined>();
    for (const id of orgIds) organizations.set(id, await this.organization(id));
    const consignments = new Map<string, ConsignmentRecord | undefined>();
    await Promise.all(
      needs.consignmentIds.map(async (id) => {
        const chain = await this.fallback(this.lastConsignments, id.toLowerCase(), () =>
          this.client.readConsignment(id),
        );
        consignments.set(id.toLowerCase(), projectConsignment(chain, this.pendingFor(id)));
      }),
    );
    const paused = await this.isPaused();
    return {
      paused,
      organization: (id) => organizations.get(id),
      signerKey: (signer) => keys.get(signer.toLowerCase()),
      consignment: (id) => consignments.get(id.toLowerCase()),
    };
  }

  async organization(id: number): Promise<OrganizationRecord | undefined> {
    return this.cached(
      this.organizations,
      id,
      () => this.client.readOrganization(id),
      () => this.local.organization(id),
    );
  }

  async signerKey(signer: string): Promise<SignerKeyRecord | undefined> {
    return this.cached(
      this.signerKeys,
      signer.toLowerCase(),
      () => this.client.readSignerKey(signer),
      () => this.local.signerKey(signer),
    );
  }

  private async isPaused(): Promise<boolean> {
    if (this.paused && Date.now() - this.paused.at < this.ttlMs) return this.paused.value;
    try {
      this.paused = { value: await this.client.paused(), at: Date.now() };
    } catch (error) {
      if (!this.paused) throw error;
    }
    return this.paused.value;
  }

  private async cached<K, T>(
    map: Map<K, Cached<T>>,
    key: K,
    read: () => Promise<T>,
    local: () => T | undefined,
  ): Promise<T> {
    const hit = map.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    try {
      const value = await read();
      map.set(key, { value, at: Date.now() });
      return value;
    } catch (error) {
      if (hit) return hit.value;
      const known = local();
      if (known !== undefined) return known;
      throw error;
    }
  }

  private async fallback<K, T>(last: Map<K, T>, key: K, read: () => Promise<T>): Promise<T> {
    try {
      const value = await read();
      last.set(key, value);
      return value;
    } catch (error) {
      if (last.has(key)) return last.get(key) as T;
      throw error;
    }
  }
}
