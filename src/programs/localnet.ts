/**
 * `bun run src/programs/localnet.ts`: a local subtensor chain (the real runtime under chopsticks) with a
 * fast subnet and funded dev wallets, for running miners and validators against. Prints the endpoint
 * and the accounts, then stays up until Ctrl-C and stops cleanly.
 *
 *   --spec 185|218        runtime (185 default: Yuma works; 218: dynamic TAO)
 *   --port 9944           websocket/HTTP port (0 = any free port)
 *   --validators N        register N validators (default 1, staked 100 TAO each) and --miners M (default 3)
 *   --block_time S        also build a block every S seconds (0 = only per transaction and on demand)
 *   --no_subnet           start the bare chain
 */
import { Command, Options } from "@effect/cli"
import { Console, Duration, Effect } from "effect"
import { devWallet, startLocalnet, type DevWallet } from "../adapters/chain/localnet.ts"
import { runCli } from "./options/run-cli.ts"
import { UsageError } from "./options/usage-error.ts"

const TAO = 1_000_000_000n

const options = {
  spec: Options.choiceWithValue("spec", [
    ["185", 185],
    ["218", 218]
  ] as const).pipe(Options.withDefault(185 as const), Options.withDescription("subtensor runtime version")),
  port: Options.integer("port").pipe(Options.withDefault(9944), Options.withDescription("port for ws:// and http:// (0 = any free port)")),
  validators: Options.integer("validators").pipe(Options.withDefault(1), Options.withDescription("validators to register and stake")),
  miners: Options.integer("miners").pipe(Options.withDefault(3), Options.withDescription("miners to register")),
  blockTime: Options.float("block_time").pipe(
    Options.withDefault(0),
    Options.withDescription("also build a block every this many seconds (0 = only per transaction)")
  ),
  noSubnet: Options.boolean("no_subnet").pipe(Options.withDescription("do not create a subnet or register anyone"))
}

const row = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd([10, 22, 22, 5][i] ?? 10) : c)).join(" ")

const command = Command.make("localnet", options, (flags) =>
  Effect.gen(function* () {
    const started = performance.now()
    // Chopsticks builds its first block before it binds the port: find a taken port first, before its logs.
    if (flags.port !== 0)
      yield* Effect.try({
        try: () => Bun.listen({ hostname: "127.0.0.1", port: flags.port, socket: { data() {} } }).stop(true),
        catch: () => new UsageError({ message: `port ${flags.port} is in use: pass another --port (0 = any free port)` })
      })
    const net = yield* startLocalnet({
      spec: flags.spec,
      port: flags.port,
      ...(flags.blockTime > 0 ? { blockTime: Duration.seconds(flags.blockTime) } : {})
    })
    yield* Console.log(`Local subtensor, runtime spec ${flags.spec}, at ${net.endpoint} (http://127.0.0.1:${net.port} too)`)
    yield* Console.log(`sudo: //Alice ${net.sudoKey.ss58Address}`)
    const lines: Array<string> = []
    if (!flags.noSubnet) {
      const netuid = yield* net.createSubnet()
      const h = yield* net.chain.hyperparameters(netuid)
      yield* Console.log(`subnet: netuid ${netuid} (tempo ${h.tempo}, weights rate limit ${h.weightsRateLimit}, serving rate limit ${h.servingRateLimit})`)
      if (flags.spec === 218) yield* Console.log("owner hotkey //Alice//hot holds uid 0 (dynamic-TAO runtimes register it with the subnet)")
      const wallets: ReadonlyArray<readonly [string, DevWallet]> = [
        ...Array.from({ length: flags.validators }, (_, i) => ["validator", devWallet(`Validator${i + 1}`)] as const),
        ...Array.from({ length: flags.miners }, (_, i) => ["miner", devWallet(`Miner${i + 1}`)] as const)
      ]
      lines.push(row(["role", "coldkey", "hotkey", "uid", "hotkey address"]))
      for (const [role, w] of wallets) {
        yield* net.fund(w.coldkey.ss58Address, 10_000n * TAO)
        const uid = yield* net.registerNeuron(netuid, w.coldkey, w.hotkey.ss58Address)
        if (role === "validator") yield* net.stake(netuid, w.coldkey, w.hotkey.ss58Address, 100)
        lines.push(row([role, `//${w.name}`, `//${w.name}//hot`, String(uid), w.hotkey.ss58Address]))
      }
      if (wallets.length > 0) yield* net.nextEpoch(netuid)
    }
    lines.push("", "Funded dev coldkeys (1e6 TAO; //Alice 1e9): " + ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"].map((n) => `//${n}`).join(" "))
    yield* Console.log(lines.join("\n"))
    yield* Console.log(`ready in ${((performance.now() - started) / 1000).toFixed(1)} s at block ${yield* net.chain.block}; Ctrl-C to stop`)
    return yield* Effect.never
  }).pipe(
    Effect.scoped,
    Effect.onInterrupt(() => Console.log("localnet: stopped"))
  )
).pipe(Command.withDescription("A local subtensor chain (real runtime under chopsticks) with a ready subnet."))

if (import.meta.main) runCli("localnet", command)
