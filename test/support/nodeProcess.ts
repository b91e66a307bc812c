/**
 * The node as `npm start` runs it, in its own process: start it, wait until it listens, stop it with SIGTERM.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(__dirname, "..", "..");

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  bootstrapToken?: string;
  output: () => string;
}

export function runNode(env: Record<string, string>): Promise<NodeProcess> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "server/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the node did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /listening on (http:\/\/\S+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve({
          child,
          url: listening[1],
          bootstrapToken: /\n {2}(clk_\S+)/.exec(output)?.[1],
          output: () => output,
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the node exited with ${code}:\n${output}`));
    });
  });
}

/** Stops the node with SIGTERM (SIGKILL after 30 s); a node that has already exited resolves at once. */
export function stopNode(node: NodeProcess): Promise<number | null> {
  return new Promise((resolve) => {
    node.child.removeAllListeners("exit");
    // Exited already, by a code or a signal: no exit event will come again.
    if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve(node.child.exitCode);
    const timer = setTimeout(() => node.child.kill("SIGKILL"), 30_000);
    node.child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    node.child.kill("SIGTERM");
  });
}

/** Runs the node expecting it to stop by itself (a bad setting, a store it cannot open): its exit code and output. */
export function runNodeUntilExit(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "server/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the node did not stop by itself:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** Waits for a running node to stop by itself; its exit code. */
export function nodeExited(node: NodeProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    node.child.removeAllListeners("exit");
    if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve(node.child.exitCode);
    const timer = setTimeout(() => reject(new Error(`the node did not stop:\n${node.output()}`)), timeoutMs);
    node.child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
