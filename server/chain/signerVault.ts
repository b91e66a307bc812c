/**
 * Each hosted organization's signer keys, as encrypted JSON keystores (scrypt) under `<dataDir>/keys/`. Keys are
 * decrypted once at start and kept in memory; the passphrase comes from the environment or a file and is never
 * logged.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { writeFileDurably } from "../storage/durableFile";
import { join } from "node:path";
import { Wallet, encryptKeystoreJson } from "ethers";
import type { HostedOrganization, HostedSigner } from "../storage/ledgerStore";

export class SignerVault {
  private readonly wallets = new Map<string, Wallet>();

  constructor(
    private readonly dir: string,
    private readonly passphrase: string,
    private readonly scryptN: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Creates a key for the organization and writes its keystore; the caller registers it on chain. */
  async create(organizationId: number): Promise<HostedSigner> {
    const wallet = Wallet.createRandom();
    const json = await encryptKeystoreJson(
      { address: wallet.address, privateKey: wallet.privateKey },
      this.passphrase,
      {
        scrypt: { N: this.scryptN },
      },
    );
    const keystoreFile = join(this.dir, `org-${organizationId}-${wallet.address}.json`);
    writeFileDurably(keystoreFile, json, 0o600);
    this.wallets.set(wallet.address.toLowerCase(), new Wallet(wallet.privateKey));
    return { address: wallet.address, keystoreFile, createdAt: new Date().toISOString() };
  }

  /** Decrypts the keystores of every key that is not revoked. */
  async unlock(organizations: HostedOrganization[]): Promise<void> {
    for (const org of organizations) {
      for (const signer of org.signers) {
        if (signer.revokedAt || this.wallets.has(signer.address.toLowerCase())) continue;
        const wallet = await Wallet.fromEncryptedJson(readFileSync(signer.keystoreFile, "utf8"), this.passphrase);
        this.wallets.set(wallet.address.toLowerCase(), new Wallet(wallet.privateKey));
      }
    }
  }

  wallet(address: string): Wallet | undefined {
    return this.wallets.get(address.toLowerCase());
  }

  /** The key the node signs with for an organization: its newest key that is not revoked. */
  activeSigner(org: HostedOrganization | undefined): Wallet | undefined {
    const current = org?.signers.filter((s) => !s.revokedAt).at(-1);
    return current ? this.wallet(current.address) : undefined;
  }
}

/**
 * KEYSTORE_PASSPHRASE, else KEYSTORE_PASSPHRASE_FILE. On the embedded chain only, a random passphrase is created
 * once in the data directory (mode 0600), so `npm start` needs no configuration; a real deployment sets its own.
 */
export function resolveKeystorePassphrase(options: {
  passphrase?: string;
  passphraseFile?: string;
  dataDir: string;
  embedded: boolean;
}): string {
  if (options.passphrase) return options.passphrase;
  if (options.passphraseFile) return readFileSync(options.passphraseFile, "utf8").trim();
  if (!options.embedded)
    throw new Error(
      "invalid setting KEYSTORE_PASSPHRASE: required with an external chain (or KEYSTORE_PASSPHRASE_FILE)",
    );
  const file = join(options.dataDir, "keystore-passphrase");
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileDurably(file, randomBytes(24).toString("base64url"), 0o600);
  }
  return readFileSync(file, "utf8").trim();
}
