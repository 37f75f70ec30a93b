/**
 * HTTP load generator for the axon benchmark, run in a Worker so it does not share the server's thread.
 * Each lane sends its own requests one after another (so per-lane nonces arrive in order); lanes run
 * concurrently over keep-alive connections.
 */
declare const self: Worker

export interface LoadJob {
  readonly url: string
  /** One list of prepared requests per concurrent lane. */
  readonly lanes: ReadonlyArray<ReadonlyArray<{ readonly headers: Record<string, string>; readonly body: string }>>
  /** Stop sending after this long (each lane finishes its request in flight); default: send everything. */
  readonly durationMs?: number
}

export interface LoadResult {
  readonly elapsedMs: number
  readonly statuses: Record<number, number>
  /** Per-request round-trip times, ms, in completion order. */
  readonly latenciesMs: ReadonlyArray<number>
}

self.onmessage = async (event: MessageEvent<LoadJob>) => {
  const { url, lanes, durationMs } = event.data
  const statuses: Record<number, number> = {}
  const latenciesMs: number[] = []
  const start = performance.now()
  const deadline = start + (durationMs ?? Infinity)
  await Promise.all(
    lanes.map(async (lane) => {
      for (const request of lane) {
        if (performance.now() >= deadline) break
        const sent = performance.now()
        const res = await fetch(url, { method: "POST", headers: request.headers, body: request.body })
        await res.arrayBuffer()
        latenciesMs.push(performance.now() - sent)
        statuses[res.status] = (statuses[res.status] ?? 0) + 1
      }
    })
  )
  const result: LoadResult = { elapsedMs: performance.now() - start, statuses, latenciesMs }
  self.postMessage(result)
}
