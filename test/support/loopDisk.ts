/**
 * A small real ext4 filesystem on a loop device, for the node's data directory, that a test can fill up or turn
 * read-only under the node's feet the way a failing disk does: the kernel's own error path (errors=remount-ro) makes
 * every later write fail with EROFS, even on files already open. Needs root and loop devices (CI's machine has both).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export class LoopDisk {
  readonly image: string;
  readonly mountPoint: string;
  private readonly dir: string;

  private constructor(readonly sizeMb: number) {
    this.dir = mkdtempSync(join(tmpdir(), "ledger-disk-"));
    this.image = join(this.dir, "disk.img");
    this.mountPoint = join(this.dir, "data");
    mkdirSync(this.mountPoint);
  }

  static create(sizeMb: number): LoopDisk {
    const disk = new LoopDisk(sizeMb);
    run("truncate", ["-s", `${sizeMb}M`, disk.image]);
    // No blocks reserved for root: the node runs as root here, and "full" must mean full for it too.
    run("mkfs.ext4", ["-q", "-m", "0", disk.image]);
    disk.mount();
    return disk;
  }

  mount(readOnly = false): void {
    run("mount", ["-o", `loop,errors=remount-ro${readOnly ? ",ro" : ""}`, this.image, this.mountPoint]);
  }

  /** Retries a while: a process that has just exited may still hold the filesystem for a moment. */
  unmount(): void {
    for (let attempt = 0; ; attempt++) {
      try {
        run("umount", [this.mountPoint]);
        return;
      } catch (error) {
        if (attempt >= 50) {
          let holders = "";
          try {
            holders = run("fuser", ["-vm", this.mountPoint]);
          } catch {
            // fuser is missing or found nobody
          }
          throw new Error(`${(error as Error).message}\n${holders}`);
        }
        execFileSync("sleep", ["0.1"]);
      }
    }
  }

  /** Takes every free block, as another program filling the disk would. */
  fill(): void {
    try {
      run("dd", ["if=/dev/zero", `of=${join(this.mountPoint, "filler")}`, "bs=64k"]);
    } catch {
      // dd stops with "No space left on device": that is the point.
    }
  }

  /** Frees what fill() took. */
  free(): void {
    rmSync(join(this.mountPoint, "filler"), { force: true });
  }

  /** The kernel records a filesystem error and, by errors=remount-ro, turns the filesystem read-only at once. */
  failReadOnly(): void {
    const device = run("findmnt", ["-n", "-o", "SOURCE", this.mountPoint]).trim();
    run("sh", ["-c", `echo 1 > /sys/fs/ext4/${basename(device)}/trigger_fs_error`]);
  }

  /** After failReadOnly: unmount, repair as an operator would (e2fsck), and mount read-write again. */
  repair(): void {
    this.unmount();
    try {
      run("e2fsck", ["-fy", this.image]);
    } catch {
      // e2fsck exits 1 when it fixed something, which is expected here.
    }
    this.mount();
  }

  remove(): void {
    try {
      this.unmount();
    } catch {
      // already unmounted
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
