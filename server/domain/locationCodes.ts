/**
 * UN/LOCODEs and ISO 3166-1 alpha-2 country codes as the contract stores them: ASCII in `bytes5` and `bytes2`.
 */
import { hexlify, toUtf8Bytes } from "ethers";

/** Two letters of country, then three letters or digits 2-9 (UN/LOCODE does not use 0 and 1). */
export const UN_LOCODE_PATTERN = /^[A-Z]{2}[A-Z2-9]{3}$/;
export const COUNTRY_CODE_PATTERN = /^[A-Z]{2}$/;

export class InvalidCodeError extends Error {
  constructor(
    readonly code: "INVALID_UN_LOCODE" | "INVALID_COUNTRY_CODE",
    readonly value: string,
  ) {
    super(`${code === "INVALID_UN_LOCODE" ? "not a UN/LOCODE" : "not an ISO 3166-1 alpha-2 code"}: ${value}`);
    this.name = "InvalidCodeError";
  }
}

/** "KEMBA" -> 0x4b454d4241 */
export function toLocationBytes(unLocode: string): string {
  if (!UN_LOCODE_PATTERN.test(unLocode)) throw new InvalidCodeError("INVALID_UN_LOCODE", unLocode);
  return hexlify(toUtf8Bytes(unLocode));
}

/** "KE" -> 0x4b45 */
export function toCountryBytes(country: string): string {
  if (!COUNTRY_CODE_PATTERN.test(country)) throw new InvalidCodeError("INVALID_COUNTRY_CODE", country);
  return hexlify(toUtf8Bytes(country));
}

/** Reads a bytes5 or bytes2 value from the chain back into its letters (ASCII, so no UTF-8 decoding is needed). */
export function fromCodeBytes(value: string): string {
  return Buffer.from(value.startsWith("0x") ? value.slice(2) : value, "hex").toString("latin1");
}

/** The country part of a UN/LOCODE. */
export function countryOfLocation(unLocode: string): string {
  return unLocode.slice(0, 2);
}
