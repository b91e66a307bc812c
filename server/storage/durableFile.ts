/**
 * Small files the node cannot lose once it has acted on them (a signer's keystore, whose address is already
 * registered on chain; the deployment record; the bootstrap key): written to a temporary file, synced, renamed over
 * the target, and the directory synced, so a crash or a disk failing right after leaves the old file or the new one,
 * never an empty one.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export function writeFileDurably(path: string, data: string, mode = 0o644): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  const directory = openSync(dirname(path), "r");
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}
