/** Progress of a long workflow, reported to whoever waits for it (an MCP client's progress token, or nobody). */
export interface Progress {
  /** Reports progress; a no-op when nobody listens. Values never go backwards. */
  report(progress: number, total?: number, message?: string): Promise<void>;
}
