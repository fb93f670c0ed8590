/**
 * Modules graph mode needs that the eager library lacks: the plain container a GraphModule builds
 * for intermediate paths (`torch.nn.Module()`), and `UnsupportedModule`, which stands for a PyTorch module this library cannot run, so that an
 * imported graph still prepares and names what is missing.
 * @module
 */
import { Module, type StateDictReader } from "../module.ts";

/**
 * A plain `torch.nn.Module()`: what a GraphModule puts at an intermediate path whose children
 * it copies (`layer1` holding `layer1.0.conv1`). Not callable.
 */
export class FxContainer extends Module {
  /** Not callable, as PyTorch's empty Module. */
  forward(): never {
    throw new Error(`${this.getName()}: an intermediate container of a GraphModule has no forward`);
  }

  /** PyTorch prints it as `Module`. */
  override getName(): string {
    return "Module";
  }
}

/**
 * A PyTorch module this library does not implement (imported from a graph): it keeps its type
 * name and constructor arguments for pattern matching and reports, and refuses to run.
 */
export class UnsupportedModule extends Module {
  /** PyTorch's class name (`torch.nn.LayerNorm`). */
  readonly typeName: string;
  /** Its constructor arguments as PyTorch exported them. */
  readonly config: Readonly<Record<string, unknown>>;

  /** A stand-in for a module of type `typeName`. */
  constructor(typeName: string, config: Record<string, unknown> = {}) {
    super();
    this.typeName = typeName;
    this.config = Object.freeze({ ...config });
  }

  /** @throws {Error} always: the module cannot run here. */
  forward(): never {
    throw new Error(
      `${this.typeName}: this module is not supported by this library (imported from PyTorch ` +
        `as a stand-in); the graph cannot run through it`,
    );
  }

  /** The PyTorch class name's last part. */
  override getName(): string {
    return this.typeName.slice(this.typeName.lastIndexOf(".") + 1);
  }

  /** Keeps whatever own entries the state dict has for it (their meaning is unknown here). */
  protected override loadFromStateDict(reader: StateDictReader, prefix: string): void {
    for (const key of reader.unexpectedKeys()) {
      const field = key.slice(prefix.length);
      if (!key.startsWith(prefix) || field.includes(".")) continue;
      const t = reader.take(key)!;
      reader.defer(() => this.registerBuffer(field, t));
    }
  }
}
