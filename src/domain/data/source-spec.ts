/**
 * A preference source as named on the command line: a JSONL path (`data/pairs.jsonl`, `jsonl:…`) or a
 * Hugging Face dataset (`hf:Anthropic/hh-rlhf`, `hf:org/name?config=c&split=s&mapping=prompt=q,chosen=a,rejected=b`).
 */
import { Either } from "effect"
import { mappingFor, parseMapping, type RowMapping } from "./preference-datasets.ts"

/** Where a source's items come from. */
export type SourceSpec =
  | { readonly _tag: "Jsonl"; readonly path: string }
  | { readonly _tag: "HfRows"; readonly dataset: string; readonly mapping: RowMapping; readonly config?: string; readonly split?: string }

/** Reads a source spec, or says what is wrong with it (an unparseable name, a dataset without a known mapping). */
export const parseSourceSpec = (spec: string): Either.Either<SourceSpec, string> => {
  if (!spec.startsWith("hf:")) return Either.right({ _tag: "Jsonl", path: spec.replace(/^jsonl:/, "") })
  const text = `x://${spec.slice(3)}`
  if (!URL.canParse(text)) return Either.left(`${JSON.stringify(spec)} is not a dataset name: give hf:org/name[?config=…&split=…&mapping=…]`)
  const url = new URL(text)
  const dataset = `${url.host}${url.pathname}`
  const mappingSpec = url.searchParams.get("mapping")
  const mapping = mappingSpec === null ? mappingFor(dataset) : parseMapping(mappingSpec)
  if (mapping === undefined || mapping === null)
    return Either.left(`no row mapping for ${dataset}: add ?mapping=prompt=FIELD,chosen=FIELD,rejected=FIELD (or prompt=FIELD,completions=FIELD)`)
  const config = url.searchParams.get("config")
  const split = url.searchParams.get("split")
  return Either.right({ _tag: "HfRows", dataset, mapping, ...(config === null ? {} : { config }), ...(split === null ? {} : { split }) })
}
