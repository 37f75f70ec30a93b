/**
 * Bundles the Lambda into one ES module a user uploads (handler `index.handler`, Node.js 20+ runtime):
 *   bun run lambda/build.ts [outfile]        (default dist/lambda/index.mjs)
 * Same as `bun build lambda/handler.ts --target node --format esm --outfile dist/lambda/index.mjs`.
 */
import { basename, dirname, resolve } from "node:path"

/** Builds the bundle at `outfile` and returns its absolute path. */
export const buildLambda = async (outfile: string): Promise<string> => {
  const target = resolve(outfile)
  const result = await Bun.build({
    entrypoints: [resolve(import.meta.dir, "handler.ts")],
    target: "node",
    format: "esm",
    outdir: dirname(target),
    naming: basename(target)
  })
  if (!result.success) throw new AggregateError(result.logs, "lambda bundle failed")
  return target
}

if (import.meta.main) {
  const out = await buildLambda(process.argv[2] ?? resolve(import.meta.dir, "../dist/lambda/index.mjs"))
  console.log(`built ${out} (${(Bun.file(out).size / 1024).toFixed(0)} KiB); upload it as index.mjs, handler index.handler`)
}
