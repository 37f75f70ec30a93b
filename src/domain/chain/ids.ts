/**
 * The chain's identifiers as brands, so a uid cannot be passed where a netuid belongs nor any string
 * where a hotkey does. Values are branded where they enter: read from the chain by its adapters, or
 * parsed from config and the wire by the programs and handlers (`Netuid.make(flags.netuid)`).
 */
import { Schema } from "effect"

/** A neuron's slot on a subnet (u16). */
export const Uid = Schema.NonNegativeInt.pipe(Schema.brand("Uid"))
export type Uid = typeof Uid.Type

/** A subnet's id (u16). */
export const Netuid = Schema.NonNegativeInt.pipe(Schema.brand("Netuid"))
export type Netuid = typeof Netuid.Type

/** A hotkey's SS58 address. */
export const Hotkey = Schema.String.pipe(Schema.brand("Hotkey"))
export type Hotkey = typeof Hotkey.Type
