// Where the server's log lines go: standard output without ever blocking the event loop.
import { fstatSync, writeSync } from "node:fs";
import { Socket } from "node:net";

/** Log lines waiting for a slow reader beyond this many bytes are dropped, not buffered. */
const DEFAULT_MAX_PENDING_BYTES = 1 << 20;

/**
 * A pino destination. A pipe or socket (a supervisor, a log shipper, `| head`) is written
 * asynchronously by the event loop: a reader that stops reading, or goes away, costs dropped
 * lines (counted), never a blocked or retrying main thread, so the server keeps serving and a
 * SIGTERM still ends it. A file or terminal is written directly; a failed write is dropped too.
 */
export class LogSink {
  readonly #fd: number;
  readonly #maxPending: number;
  readonly #socket: Socket | undefined;
  #broken = false;
  #dropped = 0;

  constructor(fd = 1, options: { maxPendingBytes?: number } = {}) {
    this.#fd = fd;
    this.#maxPending = options.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    let streamed = false;
    try {
      const stat = fstatSync(fd);
      streamed = stat.isFIFO() || stat.isSocket();
    } catch {
      // A closed descriptor: every line is dropped.
      this.#broken = true;
    }
    if (streamed) {
      this.#socket = new Socket({ fd, readable: false, writable: true });
      // EPIPE (the reader is gone) and the like: later lines are dropped at once.
      this.#socket.on("error", () => {
        this.#broken = true;
      });
      // Pending log lines never keep a stopping process alive.
      this.#socket.unref();
    }
  }

  /** Lines dropped because the output was gone, failing or too far behind. */
  get dropped(): number {
    return this.#dropped;
  }

  write(line: string): void {
    if (this.#broken) {
      this.#dropped++;
      return;
    }
    const socket = this.#socket;
    if (socket) {
      if (socket.destroyed || socket.writableLength > this.#maxPending) this.#dropped++;
      else socket.write(line);
      return;
    }
    try {
      writeSync(this.#fd, line);
    } catch {
      this.#dropped++;
    }
  }

  /** Waits (at most `withinMs`) for the lines already written to leave the process. */
  async flush(withinMs = 1000): Promise<void> {
    const socket = this.#socket;
    if (!socket || this.#broken || socket.writableLength === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, withinMs);
      // Written in order: its callback runs once everything before it has been handed over.
      socket.write("", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
