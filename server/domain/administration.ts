/**
 * What a node operator and an organization's admin do: host an organization (register it on chain and create its
 * signer key), rotate and revoke signer keys, and issue and revoke API keys. Chain, vault and store come in as
 * ports.
 */
import { LedgerError } from "../errors";
import { issueApiKeyToken } from "./apiKeys";
import type { ApiKeyRole } from "./apiKeys";
import { OrganizationKind } from "./milestoneKinds";
import type { ApiKeyRecord, HostedOrganization, HostedSigner } from "../storage/ledgerStore";

export interface AdministrationPorts {
  governance: {
    configured: boolean;
    registerOrganization(kind: number, country: string, admin: string, name: string): Promise<number>;
    addSigner(organizationId: number, signer: string): Promise<void>;
    revokeSigner(signer: string, compromisedAt: number): Promise<void>;
  };
  readOrganization(id: number): Promise<{ kind: number; country: string } | undefined>;
  createSignerKey(organizationId: number): Promise<HostedSigner>;
  store: {
    organization(id: number): Promise<HostedOrganization | undefined>;
    listOrganizations(): Promise<HostedOrganization[]>;
    putOrganization(org: HostedOrganization): Promise<void>;
    apiKey(keyId: string): Promise<ApiKeyRecord | undefined>;
    putApiKey(record: ApiKeyRecord): Promise<void>;
    listApiKeys(): Promise<ApiKeyRecord[]>;
  };
  /** Chain state this node caches changed. */
  changed(): void;
}

export interface HostOrganizationRequest {
  /** An organization already registered on chain (by the consortium); omitted, this node registers a new one. */
  organizationId?: number;
  kind?: keyof typeof OrganizationKind;
  country?: string;
  name: string;
  admin?: string;
}

export class Administration {
  constructor(private readonly ports: AdministrationPorts) {}

  async hostOrganization(
    request: HostOrganizationRequest,
  ): Promise<HostedOrganization & { signerAddedOnChain: boolean }> {
    const { governance, store } = this.ports;
    let id = request.organizationId;
    let kind: number;
    let country: string;
    if (id === undefined) {
      if (!request.kind || request.kind === "None" || !request.country) {
        throw new LedgerError("INVALID_ORGANIZATION", "a new organization needs a kind and a country");
      }
      kind = OrganizationKind[request.kind];
      country = request.country;
      id = await governance.registerOrganization(
        kind,
        country,
        request.admin ?? "0x0000000000000000000000000000000000000000",
        request.name,
      );
    } else {
      const onChain = await this.ports.readOrganization(id);
      if (!onChain) throw new LedgerError("ORGANIZATION_NOT_FOUND", `organization ${id} is not registered on chain`);
      if (await store.organization(id))
        throw new LedgerError("INVALID_ORGANIZATION", `organization ${id} is already hosted here`);
      kind = onChain.kind;
      country = onChain.country;
    }
    const signer = await this.ports.createSignerKey(id);
    const org: HostedOrganization = { id, name: request.name, kind, country, signers: [signer] };
    await store.putOrganization(org);
    const signerAddedOnChain = governance.configured;
    if (signerAddedOnChain) await governance.addSigner(id, signer.address);
    this.ports.changed();
    return { ...org, signerAddedOnChain };
  }

  /** A new signer key becomes the one the node signs with; the previous one is revoked on chain if asked. */
  async rotateSigner(organizationId: number, revokePrevious: boolean): Promise<HostedOrganization> {
    const org = await this.hostedOrganization(organizationId);
    const previous = org.signers.filter((s) => !s.revokedAt).at(-1);
    const signer = await this.ports.createSignerKey(organizationId);
    await this.ports.governance.addSigner(organizationId, signer.address);
    org.signers.push(signer);
    await this.ports.store.putOrganization(org);
    if (revokePrevious && previous) await this.revokeSigner(organizationId, previous.address, 0);
    this.ports.changed();
    return (await this.ports.store.organization(organizationId))!;
  }

  async revokeSigner(organizationId: number, address: string, compromisedAt: number): Promise<HostedOrganization> {
    const org = await this.hostedOrganization(organizationId);
    const signer = org.signers.find((s) => s.address.toLowerCase() === address.toLowerCase());
    if (!signer)
      throw new LedgerError("NOT_FOUND", `organization ${organizationId} has no signer ${address} on this node`);
    await this.ports.governance.revokeSigner(signer.address, compromisedAt);
    signer.revokedAt = new Date().toISOString();
    await this.ports.store.putOrganization(org);
    this.ports.changed();
    return org;
  }

  async issueApiKey(
    organizationId: number,
    role: ApiKeyRole,
    label: string,
  ): Promise<{ record: Omit<ApiKeyRecord, "secretHash">; token: string }> {
    if (organizationId !== 0) await this.hostedOrganization(organizationId);
    const issued = issueApiKeyToken();
    const record: ApiKeyRecord = {
      keyId: issued.keyId,
      secretHash: issued.secretHash,
      organizationId,
      role,
      label,
      createdAt: new Date().toISOString(),
    };
    await this.ports.store.putApiKey(record);
    return { record: withoutHash(record), token: issued.token };
  }

  async revokeApiKey(keyId: string, byOrganization: number | undefined): Promise<Omit<ApiKeyRecord, "secretHash">> {
    const record = await this.ports.store.apiKey(keyId);
    if (!record || (byOrganization !== undefined && record.organizationId !== byOrganization)) {
      throw new LedgerError("API_KEY_NOT_FOUND", `no API key ${keyId}`);
    }
    if (!record.revokedAt) {
      record.revokedAt = new Date().toISOString();
      await this.ports.store.putApiKey(record);
    }
    return withoutHash(record);
  }

  async listApiKeys(organizationId: number | undefined): Promise<Array<Omit<ApiKeyRecord, "secretHash">>> {
    const all = await this.ports.store.listApiKeys();
    return all.filter((k) => organizationId === undefined || k.organizationId === organizationId).map(withoutHash);
  }

  async hostedOrganization(id: number): Promise<HostedOrganization> {
    const org = await this.ports.store.organization(id);
    if (!org) throw new LedgerError("ORGANIZATION_NOT_FOUND", `organization ${id} is not hosted on this node`);
    return org;
  }
}

function withoutHash(record: ApiKeyRecord): Omit<ApiKeyRecord, "secretHash"> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { secretHash, ...rest } = record;
  return rest;
}
