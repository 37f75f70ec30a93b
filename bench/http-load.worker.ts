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
}

export interface LoadResult {
  readonly elapsedMs: number
  readonly statuses: Record<number, number>
}

self.onmessage = async (event: MessageEvent<LoadJob>) => {
  const { url, lanes } = event.data
  const statuses: Record<number, number> = {}
  const start = performance.now()
  await Promise.all(
    lanes.map(async (lane) => {
      for (const request of lane) {
        const res = await fetch(url, { method: "POST", headers: request.headers, body: request.body })
        await res.arrayBuffer()
        statuses[res.status] = (statuses[res.status] ?? 0) + 1
      }
    })
  )
  const result: LoadResult = { elapsedMs: performance.now() - start, statuses }
  self.postMessage(result)
}
