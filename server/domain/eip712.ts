/**
 * EIP-712 domain, types and digests of the ConsignmentLedger contract. A consignment's head is the digest of its
 * last milestone, so these functions are how anyone, node or auditor, recomputes the chain of heads.
 */
import { Signature, TypedDataEncoder, computeAddress, id, recoverAddress, toBeHex, zeroPadValue } from "ethers";
import secp256k1 from "secp256k1";
import createKeccakHash from "keccak";
import type { TypedDataDomain, TypedDataField } from "ethers";

export const EIP712_NAME = "ConsignmentLedger";
export const EIP712_VERSION = "1";

export interface LedgerDeployment {
  chainId: bigint | number;
  address: string;
}

/** Field values as the contract's structs hold them: hex strings for bytesN, numbers for small ints. */
export interface MilestoneStruct {
  consignmentId: string;
  kind: number;
  location: string; // bytes5
  occurredAt: bigint | number;
  payloadHash: string;
  prevHash: string;
}

export interface RegistrationStruct {
  referenceHash: string;
  consignor: number;
  consignee: number;
  originCountry: string; // bytes2
  destinationCountry: string; // bytes2
  flags: number;
  location: string; // bytes5
  occurredAt: bigint | number;
  payloadHash: string;
}

export interface CorrectionStruct {
  consignmentId: string;
  correctedIndex: number;
  location: string;
  occurredAt: bigint | number;
  payloadHash: string;
  prevHash: string;
}

/** An agency's warning as the contract takes it: codes as bytes, times in seconds. */
export interface WarningStruct {
  warningId: string;
  kind: number;
  severity: number;
  countries: string[];
  locations: string[];
  validFrom: bigint | number;
  validUntil: bigint | number;
  payloadHash: string;
}

/** What the contract takes with each item: the claimed signer and an EIP-2098 compact signature. */
export interface SignerSignature {
  signer: string;
  r: string;
  yParityAndS: string;
}

export const MILESTONE_TYPES: Record<string, TypedDataField[]> = {
  Milestone: [
    { name: "consignmentId", type: "bytes32" },
    { name: "kind", type: "uint8" },
    { name: "location", type: "bytes5" },
    { name: "occurredAt", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
    { name: "prevHash", type: "bytes32" },
  ],
};

export const REGISTRATION_TYPES: Record<string, TypedDataField[]> = {
  Registration: [
    { name: "referenceHash", type: "bytes32" },
    { name: "consignor", type: "uint32" },
    { name: "consignee", type: "uint32" },
    { name: "originCountry", type: "bytes2" },
    { name: "destinationCountry", type: "bytes2" },
    { name: "flags", type: "uint8" },
    { name: "location", type: "bytes5" },
    { name: "occurredAt", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};

export const CORRECTION_TYPES: Record<string, TypedDataField[]> = {
  Correction: [
    { name: "consignmentId", type: "bytes32" },
    { name: "correctedIndex", type: "uint32" },
    { name: "location", type: "bytes5" },
    { name: "occurredAt", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
    { name: "prevHash", type: "bytes32" },
  ],
};

export const WARNING_TYPES: Record<string, TypedDataField[]> = {
  Warning: [
    { name: "warningId", type: "bytes32" },
    { name: "kind", type: "uint8" },
    { name: "severity", type: "uint8" },
    { name: "countries", type: "bytes2[]" },
    { name: "locations", type: "bytes5[]" },
    { name: "validFrom", type: "uint64" },
    { name: "validUntil", type: "uint64" },
    { name: "payloadHash", type: "bytes32" },
  ],
};

export function ledgerDomain(deployment: LedgerDeployment): TypedDataDomain {
  return {
    name: EIP712_NAME,
    version: EIP712_VERSION,
    chainId: deployment.chainId,
    verifyingContract: deployment.address,
  };
}

export interface TypedData<T> {
  domain: TypedDataDomain;
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  message: T;
}

export function toMilestoneTypedData(deployment: LedgerDeployment, m: MilestoneStruct): TypedData<MilestoneStruct> {
  return { domain: ledgerDomain(deployment), types: MILESTONE_TYPES, primaryType: "Milestone", message: m };
}

export function toRegistrationTypedData(
  deployment: LedgerDeployment,
  r: RegistrationStruct,
): TypedData<RegistrationStruct> {
  return { domain: ledgerDomain(deployment), types: REGISTRATION_TYPES, primaryType: "Registration", message: r };
}

export function toCorrectionTypedData(deployment: LedgerDeployment, c: CorrectionStruct): TypedData<CorrectionStruct> {
  return { domain: ledgerDomain(deployment), types: CORRECTION_TYPES, primaryType: "Correction", message: c };
}

export function toWarningTypedData(deployment: LedgerDeployment, w: WarningStruct): TypedData<WarningStruct> {
  return { domain: ledgerDomain(deployment), types: WARNING_TYPES, primaryType: "Warning", message: w };
}

export function typedDataDigest<T extends object>(typed: TypedData<T>): string {
  return TypedDataEncoder.hash(typed.domain, typed.types, typed.message as Record<string, unknown>);
}

// The digests below are EIP-712's hashStruct written out for our three flat structs: an auditor recomputes
// hundreds of thousands of them, and ethers' generic encoder is several times slower. A test holds them equal to
// TypedDataEncoder and to the contract.
const typeHash = (types: Record<string, TypedDataField[]>): string => {
  const [name, fields] = Object.entries(types)[0];
  return id(`${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`);
};
const MILESTONE_TYPEHASH = Buffer.from(typeHash(MILESTONE_TYPES).slice(2), "hex");
const REGISTRATION_TYPEHASH = Buffer.from(typeHash(REGISTRATION_TYPES).slice(2), "hex");
const CORRECTION_TYPEHASH = Buffer.from(typeHash(CORRECTION_TYPES).slice(2), "hex");
// Words are built as Buffers: hex-string helpers cost more than the hashing itself at an auditor's volumes.
const hexBuffer = (hex: string): Buffer => Buffer.from(hex.length % 2 ? `0${hex.slice(2)}` : hex.slice(2), "hex");
const uintWord = (value: bigint | number): Buffer => hexBuffer(toBeHex(value, 32));
const bytesWord = (value: string): Buffer => {
  const word = Buffer.alloc(32);
  hexBuffer(value).copy(word);
  return word;
};
const bytes32Word = (value: string): Buffer =>
  value.length === 66 ? hexBuffer(value) : hexBuffer(zeroPadValue(value, 32));
const separators = new Map<string, Buffer>();

function domainSeparatorOf(deployment: LedgerDeployment): Buffer {
  const key = `${deployment.chainId}/${deployment.address.toLowerCase()}`;
  let separator = separators.get(key);
  if (!separator) {
    separator = hexBuffer(TypedDataEncoder.hashDomain(ledgerDomain(deployment)));
    separators.set(key, separator);
  }
  return separator;
}

const EIP712_PREFIX = Buffer.from([0x19, 0x01]);

/**
 * keccak256 from the native `keccak` package (by the ethereumjs team, with a JavaScript fallback): ethers' pure
 * JavaScript keccak takes about 32 µs per digest here against 7, and the submitter, the indexer, the API and the
 * auditor hash twice per milestone. The tests check these digests against ethers' TypedDataEncoder.
 */
const nativeKeccak = (data: Buffer): Buffer => createKeccakHash("keccak256").update(data).digest();

function digestOfStruct(deployment: LedgerDeployment, words: Buffer[]): string {
  const structHash = nativeKeccak(Buffer.concat(words));
  return "0x" + nativeKeccak(Buffer.concat([EIP712_PREFIX, domainSeparatorOf(deployment), structHash])).toString("hex");
}

export const milestoneDigestOf = (deployment: LedgerDeployment, m: MilestoneStruct): string =>
  digestOfStruct(deployment, [
    MILESTONE_TYPEHASH,
    bytes32Word(m.consignmentId),
    uintWord(m.kind),
    bytesWord(m.location),
    uintWord(m.occurredAt),
    bytes32Word(m.payloadHash),
    bytes32Word(m.prevHash),
  ]);
export const registrationDigestOf = (deployment: LedgerDeployment, r: RegistrationStruct): string =>
  digestOfStruct(deployment, [
    REGISTRATION_TYPEHASH,
    bytes32Word(r.referenceHash),
    uintWord(r.consignor),
    uintWord(r.consignee),
    bytesWord(r.originCountry),
    bytesWord(r.destinationCountry),
    uintWord(r.flags),
    bytesWord(r.location),
    uintWord(r.occurredAt),
    bytes32Word(r.payloadHash),
  ]);
export const correctionDigestOf = (deployment: LedgerDeployment, c: CorrectionStruct): string =>
  digestOfStruct(deployment, [
    CORRECTION_TYPEHASH,
    bytes32Word(c.consignmentId),
    uintWord(c.correctedIndex),
    bytesWord(c.location),
    uintWord(c.occurredAt),
    bytes32Word(c.payloadHash),
    bytes32Word(c.prevHash),
  ]);

/** Anything that signs EIP-712 data: an ethers Wallet, a keystore-decrypted wallet, a hardhat signer. */
export interface TypedDataSigner {
  getAddress(): Promise<string>;
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

export async function signTypedData<T extends object>(
  signer: TypedDataSigner,
  typed: TypedData<T>,
): Promise<SignerSignature> {
  const signature = await signer.signTypedData(typed.domain, typed.types, typed.message as Record<string, unknown>);
  return toSignerSignature(await signer.getAddress(), signature);
}

/**
 * Signs an EIP-712 digest with libsecp256k1 (deterministic RFC 6979 nonces, low s, as ethers signs): the same
 * signature ethers' signTypedData makes, without re-encoding the typed data for every event the submitter signs.
 */
export function signDigest(privateKey: string, signer: string, digest: string): SignerSignature {
  const { signature, recid } = secp256k1.ecdsaSign(hexBuffer(digest), hexBuffer(privateKey));
  const s = BigInt("0x" + Buffer.from(signature.subarray(32)).toString("hex"));
  return {
    signer,
    r: "0x" + Buffer.from(signature.subarray(0, 32)).toString("hex"),
    yParityAndS: "0x" + ((BigInt(recid) << 255n) | s).toString(16).padStart(64, "0"),
  };
}

/** Turns a 65-byte signature into the compact form the contract takes. */
export function toSignerSignature(signer: string, signature: string): SignerSignature {
  const parsed = Signature.from(signature);
  return { signer, r: parsed.r, yParityAndS: parsed.yParityAndS };
}

export function recoverSignerOf(digest: string, signature: SignerSignature): string {
  return recoverAddress(digest, { r: signature.r, yParityAndS: signature.yParityAndS });
}

const SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const S_MASK = (1n << 255n) - 1n;

/**
 * What the contract's ECDSA.tryRecover would conclude: the recovered address, or null where it reports the
 * signature malformed (r of zero, s in the upper half, or no point on the curve). Uses libsecp256k1 (the npm
 * package secp256k1, native where it can load, pure JS otherwise): recovery is the auditor's hot path.
 */
export function recoverSignerOrNull(digest: string, signature: SignerSignature): string | null {
  const yParityAndS = BigInt(signature.yParityAndS);
  const s = yParityAndS & S_MASK;
  if (BigInt(signature.r) === 0n || s === 0n || s > SECP256K1_HALF_ORDER) return null;
  try {
    const compact = Buffer.concat([bytes32Word(signature.r), uintWord(s)]);
    const publicKey = Buffer.from(
      secp256k1.ecdsaRecover(compact, Number(yParityAndS >> 255n), hexBuffer(digest), false),
    ).toString("hex");
    // A history has few signers: their addresses are worth remembering rather than hashing again.
    let address = addressOfPublicKey.get(publicKey);
    if (!address) {
      address = computeAddress(`0x${publicKey}`);
      if (addressOfPublicKey.size > 10_000) addressOfPublicKey.clear();
      addressOfPublicKey.set(publicKey, address);
    }
    return address;
  } catch {
    return null;
  }
}

const addressOfPublicKey = new Map<string, string>();
