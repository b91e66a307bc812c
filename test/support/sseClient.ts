/**
 * A minimal SSE client for tests: reads a stream as a subscriber would.
 */
import { expect } from "chai";

/** Reads an SSE stream until `count` events arrived (or none came for `idleMs`), then disconnects. */
export async function readEvents(url: string, token: string, count: number, lastEventId?: string, idleMs = 20_000) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
    signal: controller.signal,
  });
  expect(response.headers.get("content-type")).to.match(/^text\/event-stream/);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: Array<{ id: string; event: string; data: Record<string, unknown> }> = [];
  let buffer = "";
  let timer = setTimeout(() => controller.abort(), idleMs);
  try {
    while (events.length < count) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(), idleMs);
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split("\n")
            .filter((l) => l && !l.startsWith(":"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
        );
        if (fields.id) events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
