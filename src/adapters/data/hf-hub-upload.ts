/**
 * Publishes an exported dataset directory to a Hugging Face dataset repo with `@huggingface/hub`:
 * `createRepo` (an existing repo is fine), then one `uploadFiles` commit of every file. Large or binary
 * files go through the hub's LFS batch API with plain PUT uploads (`useXet: false`: the path the stub in
 * the tests speaks, and one the hub keeps serving for every client); small text files go inline in the
 * commit. The token is `Redacted` and never appears in errors or logs.
 */
import { createRepo, HubApiError, uploadFiles } from "@huggingface/hub"
import { Data, Effect, Redacted } from "effect"
import { join } from "node:path"

/** Where and how to publish. */
export interface HfUploadOptions {
  /** `org/name` of the dataset repo (`--hf.repo`). */
  readonly repo: string
  /** `HF_TOKEN`: a write token. */
  readonly token: Redacted.Redacted<string>
  /** The hub's address (`--hf.hub_url`; default https://huggingface.co). */
  readonly hubUrl?: string | undefined
  /** Create the repo private (when it does not exist yet). */
  readonly private?: boolean | undefined
  readonly commitTitle?: string | undefined
}

/** What the hub did. */
export interface HfUploadResult {
  readonly repoUrl: string
  /** False when the repo existed already. */
  readonly created: boolean
  readonly commitOid: string | undefined
  readonly commitUrl: string | undefined
}

/** The hub refused or could not be reached. */
export class HfUploadError extends Data.TaggedError("HfUploadError")<{
  readonly repo: string
  readonly step: "create-repo" | "upload"
  readonly status: number | undefined
  readonly reason: string
}> {
  override get message() {
    return `Hugging Face ${this.step} of datasets/${this.repo} failed${this.status === undefined ? "" : ` (HTTP ${this.status})`}: ${this.reason}`
  }
}

/** Strips query strings (pre-signed upload URLs carry credentials there) and caps the length. */
const safeReason = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  return text.replace(/(https?:\/\/[^\s?#]+)\?[^\s]*/g, "$1?…").slice(0, 300)
}

const failure = (repo: string, step: HfUploadError["step"]) => (error: unknown) =>
  new HfUploadError({ repo, step, status: error instanceof HubApiError ? error.statusCode : undefined, reason: safeReason(error) })

/** Uploads `files` (paths relative to `root`) to the dataset repo in one commit; creates the repo first if needed. */
export const uploadDatasetToHub = Effect.fn("HfHub.uploadDataset")(function* (
  root: string,
  files: ReadonlyArray<string>,
  options: HfUploadOptions
) {
  const accessToken = Redacted.value(options.token)
  const repo = { type: "dataset" as const, name: options.repo }
  const hubUrl = (options.hubUrl ?? "https://huggingface.co").replace(/\/+$/, "")
  const created = yield* Effect.tryPromise({
    try: () =>
      createRepo({
        repo,
        accessToken,
        hubUrl,
        ...(options.private === undefined ? {} : { visibility: options.private ? ("private" as const) : ("public" as const) })
      }),
    catch: failure(options.repo, "create-repo")
  }).pipe(
    Effect.as(true),
    // 409: the repo exists (a re-export updates it).
    Effect.catchIf((e) => e.status === 409, () => Effect.succeed(false))
  )
  const output = yield* Effect.tryPromise({
    try: () =>
      uploadFiles({
        repo,
        accessToken,
        hubUrl,
        useXet: false,
        commitTitle: options.commitTitle ?? `Dojo consensus export: ${files.length} files`,
        files: files.map((path) => ({ path, content: Bun.file(join(root, path)) }))
      }),
    catch: failure(options.repo, "upload")
  })
  yield* Effect.logInfo(`dataset uploaded to ${hubUrl}/datasets/${options.repo}`).pipe(
    Effect.annotateLogs({ files: files.length, created, commit: output?.commit.oid ?? "" })
  )
  return {
    repoUrl: `${hubUrl}/datasets/${options.repo}`,
    created,
    commitOid: output?.commit.oid,
    commitUrl: output?.commit.url
  } satisfies HfUploadResult
})
