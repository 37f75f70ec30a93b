/** The pinned Python peers exist and ship what the interop suites use (the SDK's networking layer). */
import { describe, expect, test } from "bun:test"
import { pythonEnv, runPython } from "../support/python-env"

describe("pinned Python environments", () => {
  test("sdk10: bittensor 10.5.0 with Axon, Dendrite, Synapse, bittensor-wallet, bittensor-drand and schemathesis", async () => {
    const env = await pythonEnv("sdk10")
    expect(env.sdkVersion).toBe("10.5.0")
    const probe = await runPython(env, [
      "-c",
      "import bittensor as bt, bittensor_wallet, bittensor_drand, schemathesis; print(bt.Axon.__name__, bt.Dendrite.__name__, bt.Synapse.__name__, hasattr(bittensor_drand, 'encrypt_at_round'))"
    ])
    expect(probe.stderr).not.toContain("Traceback")
    expect(probe.stdout.trim()).toBe("Axon Dendrite Synapse True")
  })

  test("sdk9: bittensor 9.12.2 with Axon, Dendrite, Synapse", async () => {
    const env = await pythonEnv("sdk9")
    expect(env.sdkVersion).toBe("9.12.2")
    const probe = await runPython(env, ["-c", "import bittensor as bt; print(bt.Axon.__name__, bt.Dendrite.__name__, bt.Synapse.__name__)"])
    expect(probe.stdout.trim()).toBe("Axon Dendrite Synapse")
  })
})
