/**
 * A local stand-in for the Hugging Face datasets-server rows API, in its real wire format:
 * `GET /rows?dataset&config&split&offset&length` → `{features, rows: [{row_idx, row, truncated_cells}],
 * num_rows_total, num_rows_per_page, partial}`; unknown dataset → 404 `{"error": …}`.
 */
export interface DatasetsStub {
  readonly url: string
  readonly requests: URL[]
  failNext(status: number, times?: number): void
  stop(): void
}

export const startDatasetsStub = (datasets: Record<string, ReadonlyArray<Record<string, unknown>>>): DatasetsStub => {
  const requests: URL[] = []
  let failures: { status: number; times: number } | null = null
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url)
      requests.push(url)
      if (failures !== null && failures.times > 0) {
        failures.times--
        return Response.json({ error: "stub failure" }, { status: failures.status })
      }
      const rows = url.pathname === "/rows" ? datasets[url.searchParams.get("dataset") ?? ""] : undefined
      if (rows === undefined) return Response.json({ error: "The dataset does not exist." }, { status: 404 })
      const offset = Number(url.searchParams.get("offset") ?? 0)
      const length = Math.min(100, Number(url.searchParams.get("length") ?? 100))
      const page = rows.slice(offset, offset + length)
      return Response.json({
        features: Object.keys(rows[0] ?? {}).map((name, i) => ({ feature_idx: i, name, type: { dtype: "string", _type: "Value" } })),
        rows: page.map((row, i) => ({ row_idx: offset + i, row, truncated_cells: [] })),
        num_rows_total: rows.length,
        num_rows_per_page: 100,
        partial: false
      })
    }
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    failNext: (status, times = 1) => void (failures = { status, times }),
    stop: () => void server.stop(true)
  }
}
