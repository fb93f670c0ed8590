/**
 * The `Module` base class, in PyTorch's vocabulary (torch/nn/modules/module.py): named children,
 * parameters and buffers, `train()`/`eval()`, a `qconfig` per module, `stateDict()` /
 * `loadStateDict()` with PyTorch's key names, and `getSubmodule`/`setSubmodule` for the passes
 * that swap modules (fusion, prepare, convert).
 *
 * Children, parameters and buffers live in insertion-ordered maps and are also reachable as
 * properties (`model.conv1`, `linear.weight`), like PyTorch's attributes. A child can be
 * registered with `registerModule(name, m)` or simply assigned to a field: any own property
 * holding a Module is adopted as a child (in definition order) the first time the tree is
 * walked, and from then on reads the children map, so a module swapped in by `setSubmodule`
 * is what `forward` sees.
 *
 * ```ts
 * class Net extends Module {
 *   conv1 = new Conv2d(1, 4, { kernelSize: 3 });
 *   relu1 = new ReLU();
 *   forward(x: Tensor): Tensor {
 *     return this.relu1.forward(this.conv1.forward(x));
 *   }
 * }
 * ```
 *
 * State dicts map keys to typed tensors (`{dtype, shape, data}`): float parameters and buffers
 * are `F32`, BatchNorm's `num_batches_tracked` is `I64`, as in PyTorch. A module adds other
 * entries (a quantized module's int8 weight and qparams) by overriding `saveToStateDict` and
 * `loadFromStateDict`, as PyTorch modules override `_save_to_state_dict` /
 * `_load_from_state_dict` (the reader is in `nn/state_dict.ts`; the quantized modules' layout in
 * `nn/quantized/state_dict.ts`).
 * @module
 */
import type { QConfig } from "../reference/qconfig.ts";
import { Tensor } from "../reference/tensor.ts";
import { deepCopy } from "./_deepcopy.ts";
import { moduleCopyOptions } from "./_private_state.ts";
import { show, typeName } from "./_util.ts";
import { asTypedTensor, fromTensor, type TypedTensor } from "./typed_tensor.ts";
import {
  type StateDict,
  StateDictError,
  type StateDictLoadOptions,
  type StateDictLoadResult,
  StateDictReader,
  type StateDictSource,
} from "./state_dict.ts";

export {
  type StateDict,
  StateDictError,
  type StateDictLoadOptions,
  type StateDictLoadResult,
  StateDictReader,
  type StateDictSource,
};

// ---------------------------------------------------------------------------------------------

const PARAMETERS = Symbol("parameters");
const BUFFERS = Symbol("buffers");
const NON_PERSISTENT = Symbol("nonPersistentBuffers");
const MODULES = Symbol("modules");
const FORWARD_HOOKS = Symbol("forwardHooks");
const FORWARD_PRE_HOOKS = Symbol("forwardPreHooks");

/**
 * A forward hook (`register_forward_hook`): called after `forward` with the inputs and the
 * output; a return value other than undefined replaces the output.
 */
export type ForwardHook = (module: Module, inputs: unknown[], output: unknown) => unknown;

/**
 * A forward pre-hook (`register_forward_pre_hook`): called before `forward` with the inputs; an
 * array returned replaces them.
 */
export type ForwardPreHook = (module: Module, inputs: unknown[]) => unknown[] | undefined;

/**
 * The `forward` installed on a module that has hooks: pre-hooks, the class's own `forward`,
 * then hooks — what PyTorch's `Module.__call__` does. It reads everything through `this`, so a
 * deep copy of the module runs its own hooks.
 */
function forwardWithHooks(this: Module, ...inputs: unknown[]): unknown {
  let args = inputs;
  for (const hook of this[FORWARD_PRE_HOOKS]) {
    const replaced = hook(this, args);
    if (replaced !== undefined) args = replaced;
  }
  const own = Object.getPrototypeOf(this).forward as (...a: unknown[]) => unknown;
  let output = own.apply(this, args);
  for (const hook of this[FORWARD_HOOKS]) {
    const replaced = hook(this, args, output);
    if (replaced !== undefined) output = replaced;
  }
  return output;
}

type SlotKind = "parameter" | "buffer" | "module";
/** The accessor getters this file defines on instances, by kind. */
const SLOT_GETTERS = new WeakMap<object, SlotKind>();

function checkName(kind: SlotKind, name: unknown): asserts name is string {
  if (typeof name !== "string") {
    throw new TypeError(`${kind} name should be a string, got ${show(name)}`);
  }
  if (name === "") throw new RangeError(`${kind} name can't be empty string ""`);
  if (name.includes(".")) {
    throw new RangeError(`${kind} name can't contain ".", got ${show(name)}`);
  }
}

/** Each slot's accessor, shared by every module with that slot (a per-instance closure would
 * make every `this.conv1` read a call through an inline cache that never settles). */
const SLOT_ACCESSORS = new Map<string, PropertyDescriptor>();

/** The getter/setter pair through which `module[name]` reads and writes a slot. */
function slotAccessor(kind: SlotKind, name: string): PropertyDescriptor {
  const key = `${kind}:${name}`;
  let accessor = SLOT_ACCESSORS.get(key);
  if (accessor === undefined) {
    accessor = newSlotAccessor(kind, name);
    SLOT_ACCESSORS.set(key, accessor);
  }
  return accessor;
}

function newSlotAccessor(kind: SlotKind, name: string): PropertyDescriptor {
  const get = function (this: Module): unknown {
    if (kind === "parameter") return this[PARAMETERS].get(name) ?? null;
    if (kind === "buffer") return this[BUFFERS].get(name) ?? null;
    return this[MODULES].get(name) ?? null;
  };
  const set = function (this: Module, value: unknown): void {
    if (kind === "parameter") this.registerParameter(name, value as Tensor | null);
    else if (kind === "buffer") this.registerBuffer(name, value as ModuleBuffer | null);
    else this.registerModule(name, value as Module | null);
  };
  SLOT_GETTERS.set(get, kind);
  return { get, set, enumerable: true, configurable: true };
}

function findDescriptor(object: object, name: string): PropertyDescriptor | undefined {
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Options of `namedModules`. */
export interface NamedModulesOptions {
  /** A prefix for every name (default `""`). */
  prefix?: string;
  /** List a module reachable by two paths once (default true, as PyTorch). */
  removeDuplicate?: boolean;
}

/** Options of `namedParameters` and `namedBuffers`. */
export interface NamedTensorsOptions {
  /** A prefix for every name (default `""`). */
  prefix?: string;
  /** Include the submodules' (default true). */
  recurse?: boolean;
  /** List a tensor reachable by two names once (default true, as PyTorch). */
  removeDuplicate?: boolean;
}

/** A buffer: a float32 Tensor, or a tensor of another dtype (`num_batches_tracked`, I64). */
export type ModuleBuffer = Tensor | TypedTensor;

/**
 * The base of every module (`torch.nn.Module`). Subclasses implement `forward` and register
 * their parameters, buffers and children.
 */
export abstract class Module {
  /** Training mode (`train()`), or evaluation mode (`eval()`); new modules train, as PyTorch's. */
  training = true;
  /**
   * The quantization config (PyTorch's `qconfig` attribute): `undefined` when unset (inherit
   * from the parent when propagated), `null` to opt this module out.
   */
  qconfig: QConfig | null | undefined = undefined;

  /** @internal Parameters by name (`null`: registered but absent, like a missing bias). */
  readonly [PARAMETERS]: Map<string, Tensor | null> = new Map();
  /** @internal Buffers by name. */
  readonly [BUFFERS]: Map<string, ModuleBuffer | null> = new Map();
  /** @internal Names of the buffers left out of the state dict. */
  readonly [NON_PERSISTENT]: Set<string> = new Set();
  /** @internal Children by name. */
  readonly [MODULES]: Map<string, Module | null> = new Map();
  /** @internal Forward hooks, in call order. */
  readonly [FORWARD_HOOKS]: ForwardHook[] = [];
  /** @internal Forward pre-hooks, in call order. */
  readonly [FORWARD_PRE_HOOKS]: ForwardPreHook[] = [];

  /** The computation. Subclasses narrow the signature (`forward(x: Tensor): Tensor`). */
  abstract forward(...inputs: unknown[]): unknown;

  /** Claims property `name` for a slot of `kind`, as PyTorch's "attribute already exists" check. */
  private claim(kind: SlotKind, name: string, value: unknown): void {
    checkName(kind, name);
    const others: [SlotKind, Map<string, unknown>][] = [
      ["parameter", this[PARAMETERS]],
      ["buffer", this[BUFFERS]],
      ["module", this[MODULES]],
    ];
    for (const [k, map] of others) {
      if (k !== kind && map.has(name)) {
        throw new RangeError(
          `${typeName(this)}: cannot register ${kind} "${name}": it is already a ${k}`,
        );
      }
    }
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own?.get !== undefined && SLOT_GETTERS.get(own.get) === kind) return;
    if (own !== undefined && "value" in own) {
      const v = own.value;
      const fits = v === undefined || v === null || v === value ||
        (kind === "module" ? v instanceof Module : v instanceof Tensor);
      if (!fits) {
        throw new RangeError(
          `${typeName(this)}: cannot register ${kind} "${name}": attribute "${name}" already ` +
            `exists (${show(v)})`,
        );
      }
      Object.defineProperty(this, name, slotAccessor(kind, name));
      return;
    }
    const inherited = own ?? findDescriptor(this, name);
    if (inherited === undefined) {
      Object.defineProperty(this, name, slotAccessor(kind, name));
      return;
    }
    // A class accessor (a typed `get weight()`) reads the maps itself; anything else collides.
    if (inherited.get === undefined) {
      throw new RangeError(
        `${typeName(this)}: cannot register ${kind} "${name}": attribute "${name}" already ` +
          `exists`,
      );
    }
  }

  /**
   * Adds a parameter (`register_parameter`): a float32 Tensor, or `null` for an absent one
   * (kept in order, left out of the state dict). Also readable as `module[name]`.
   * @throws {TypeError} for a value that is not a Tensor or null; {RangeError} for a bad name or
   * a name already used by an attribute, buffer or child.
   */
  registerParameter(name: string, value: Tensor | null): void {
    if (value !== null && !(value instanceof Tensor)) {
      throw new TypeError(
        `${typeName(this)}.registerParameter("${name}"): expected a Tensor or null, got ` +
          show(value),
      );
    }
    this.claim("parameter", name, value);
    this[PARAMETERS].set(name, value);
  }

  /**
   * Adds a buffer (`register_buffer`): state that is not a parameter (running statistics). A
   * non-persistent buffer is left out of the state dict.
   * @throws {TypeError} for a value that is not a Tensor, a typed tensor or null.
   */
  registerBuffer(
    name: string,
    value: ModuleBuffer | null,
    options: { persistent?: boolean } = {},
  ): void {
    if (
      value !== null && !(value instanceof Tensor) &&
      !(typeof value === "object" && "dtype" in value && ArrayBuffer.isView(value.data))
    ) {
      throw new TypeError(
        `${typeName(this)}.registerBuffer("${name}"): expected a Tensor, a {dtype, shape, data} ` +
          `tensor or null, got ${show(value)}`,
      );
    }
    this.claim("buffer", name, value);
    this[BUFFERS].set(name, value);
    if (options.persistent === false) this[NON_PERSISTENT].add(name);
    else this[NON_PERSISTENT].delete(name);
  }

  /**
   * Adds or replaces a child (`register_module` / `add_module`), readable as `module[name]`.
   * @returns the child
   * @throws {TypeError} for a value that is not a Module or null; {RangeError} for a bad name.
   */
  registerModule<M extends Module | null>(name: string, module: M): M {
    if (module !== null && !(module instanceof Module)) {
      throw new TypeError(
        `${typeName(this)}.registerModule("${name}"): expected a Module or null, got ` +
          show(module),
      );
    }
    this.claim("module", name, module);
    this[MODULES].set(name, module);
    return module;
  }

  /**
   * Removes the child `name` (Python's `delattr(module, name)` on a submodule); the property
   * disappears. Does nothing when there is no such child.
   */
  deleteModule(name: string): void {
    this.adoptFields();
    if (!this[MODULES].has(name)) return;
    this[MODULES].delete(name);
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own?.get !== undefined && SLOT_GETTERS.get(own.get) === "module") {
      delete (this as Record<string, unknown>)[name];
    }
  }

  /**
   * Adds a hook run after every `forward` call (`register_forward_hook`); `prepend` puts it
   * first, as `prepare` does with the observer hook.
   * @returns a function that removes the hook
   */
  registerForwardHook(hook: ForwardHook, options: { prepend?: boolean } = {}): () => void {
    return this.addHook(this[FORWARD_HOOKS], hook, options.prepend ?? false);
  }

  /**
   * Adds a hook run before every `forward` call (`register_forward_pre_hook`).
   * @returns a function that removes the hook
   */
  registerForwardPreHook(hook: ForwardPreHook, options: { prepend?: boolean } = {}): () => void {
    return this.addHook(this[FORWARD_PRE_HOOKS], hook, options.prepend ?? false);
  }

  /** The forward hooks, in call order (a copy). */
  forwardHooks(): ForwardHook[] {
    return [...this[FORWARD_HOOKS]];
  }

  /** The forward pre-hooks, in call order (a copy). */
  forwardPreHooks(): ForwardPreHook[] {
    return [...this[FORWARD_PRE_HOOKS]];
  }

  /** Removes every occurrence of `hook` from both hook lists. */
  removeHook(hook: ForwardHook | ForwardPreHook): void {
    for (const list of [this[FORWARD_HOOKS], this[FORWARD_PRE_HOOKS]] as unknown[][]) {
      for (let i = list.indexOf(hook); i >= 0; i = list.indexOf(hook)) list.splice(i, 1);
    }
    this.syncHookedForward();
  }

  /** Adds `hook` to `list` and installs the hooked forward. */
  private addHook<H>(list: H[], hook: H, prepend: boolean): () => void {
    if (typeof hook !== "function") {
      throw new TypeError(`hook: expected a function, got ${show(hook)}`);
    }
    if (prepend) list.unshift(hook);
    else list.push(hook);
    this.syncHookedForward();
    return () => this.removeHook(hook as ForwardHook);
  }

  /** Installs `forwardWithHooks` as this instance's `forward` while it has hooks. */
  private syncHookedForward(): void {
    const hooked = this[FORWARD_HOOKS].length + this[FORWARD_PRE_HOOKS].length > 0;
    const own = Object.getOwnPropertyDescriptor(this, "forward");
    if (hooked && own?.value !== forwardWithHooks) {
      Object.defineProperty(this, "forward", {
        value: forwardWithHooks,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    } else if (!hooked && own?.value === forwardWithHooks) {
      delete (this as { forward?: unknown }).forward;
    }
  }

  /** Adopts own properties that hold Modules as children, in property order. */
  private adoptFields(): Map<string, Module | null> {
    for (const key of Object.keys(this)) {
      const d = Object.getOwnPropertyDescriptor(this, key)!;
      if ("value" in d && d.value instanceof Module) this.registerModule(key, d.value);
    }
    return this[MODULES];
  }

  /** The own parameter `name` (null when absent or registered as null). */
  getParameter(name: string): Tensor | null {
    const dot = name.lastIndexOf(".");
    if (dot >= 0) return this.getSubmodule(name.slice(0, dot)).getParameter(name.slice(dot + 1));
    return this[PARAMETERS].get(name) ?? null;
  }

  /** The buffer `name` (dotted paths reach into children; null when absent). */
  getBuffer(name: string): ModuleBuffer | null {
    const dot = name.lastIndexOf(".");
    if (dot >= 0) return this.getSubmodule(name.slice(0, dot)).getBuffer(name.slice(dot + 1));
    return this[BUFFERS].get(name) ?? null;
  }

  /**
   * The direct children with their names, in registration order (`named_children`); a child
   * registered under two names is listed once unless `removeDuplicate` is false (`_modules`).
   */
  namedChildren(options: { removeDuplicate?: boolean } = {}): [string, Module][] {
    const removeDuplicate = options.removeDuplicate ?? true;
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [name, m] of this.adoptFields()) {
      if (m !== null && !(removeDuplicate && seen.has(m))) {
        seen.add(m);
        out.push([name, m]);
      }
    }
    return out;
  }

  /** The direct children (`children()`). */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every descendant with its dotted path (`""` for this one), depth first,
   * like `named_modules`.
   */
  namedModules(options: NamedModulesOptions = {}): [string, Module][] {
    const { prefix = "", removeDuplicate = true } = options;
    const out: [string, Module][] = [];
    const memo = new Set<Module>();
    const visit = (m: Module, path: string) => {
      if (removeDuplicate) {
        if (memo.has(m)) return;
        memo.add(m);
      }
      out.push([path, m]);
      for (const [name, child] of m.adoptFields()) {
        if (child !== null) visit(child, path === "" ? name : `${path}.${name}`);
      }
    };
    visit(this, prefix);
    return out;
  }

  /** This module and every descendant (`modules()`). */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Named tensors of one kind (parameters or buffers) over the tree. */
  private namedTensors<T>(
    slot: (m: Module) => Map<string, T | null>,
    options: NamedTensorsOptions,
    include: (m: Module, name: string) => boolean = () => true,
  ): [string, T][] {
    const { prefix = "", recurse = true, removeDuplicate = true } = options;
    const modules: [string, Module][] = recurse
      ? this.namedModules({ prefix, removeDuplicate })
      : [[prefix, this]];
    const out: [string, T][] = [];
    const seen = new Set<T>();
    for (const [path, m] of modules) {
      for (const [name, t] of slot(m)) {
        if (t === null || !include(m, name)) continue;
        if (removeDuplicate) {
          if (seen.has(t)) continue;
          seen.add(t);
        }
        out.push([path === "" ? name : `${path}.${name}`, t]);
      }
    }
    return out;
  }

  /** Every parameter with its dotted name (`named_parameters`), skipping absent ones. */
  namedParameters(options: NamedTensorsOptions = {}): [string, Tensor][] {
    return this.namedTensors((m) => m[PARAMETERS], options);
  }

  /** Every parameter (`parameters()`). */
  parameters(options: { recurse?: boolean } = {}): Tensor[] {
    return this.namedParameters(options).map(([, t]) => t);
  }

  /** Every buffer with its dotted name (`named_buffers`), non-persistent ones included. */
  namedBuffers(options: NamedTensorsOptions = {}): [string, ModuleBuffer][] {
    return this.namedTensors((m) => m[BUFFERS], options);
  }

  /** Every buffer (`buffers()`). */
  buffers(options: { recurse?: boolean } = {}): ModuleBuffer[] {
    return this.namedBuffers(options).map(([, t]) => t);
  }

  /**
   * The submodule at a dotted path (`get_submodule`); `""` is this module.
   * @throws {RangeError} naming the path and the module that lacks the next name.
   */
  getSubmodule(target: string): Module {
    if (typeof target !== "string") {
      throw new TypeError(`target: expected a dotted module path, got ${show(target)}`);
    }
    if (target === "") return this;
    return target.split(".").reduce<[Module, string]>(([m, path], name) => {
      const child = m.adoptFields().get(name);
      if (child === undefined || child === null) {
        const names = [...m.adoptFields()].filter(([, c]) => c !== null).map(([n]) => n);
        throw new RangeError(
          `getSubmodule("${target}"): ${typeName(m)}${
            path === "" ? "" : ` "${path}"`
          } has no submodule "${name}" (its children: ${names.length ? names.join(", ") : "none"})`,
        );
      }
      return [child, path === "" ? name : `${path}.${name}`];
    }, [this, ""])[0];
  }

  /**
   * Puts `module` at a dotted path, replacing the child there (or adding it), like PyTorch's
   * `_set_module` / `setattr` on the parent.
   * @throws {RangeError} when the parent path does not exist or the name is not valid.
   */
  setSubmodule(target: string, module: Module): void {
    if (typeof target !== "string" || target === "") {
      throw new RangeError(`target: expected a non-empty dotted module path, got ${show(target)}`);
    }
    if (!(module instanceof Module)) {
      throw new TypeError(`setSubmodule("${target}"): expected a Module, got ${show(module)}`);
    }
    const dot = target.lastIndexOf(".");
    const parent = dot < 0 ? this : this.getSubmodule(target.slice(0, dot));
    parent.registerModule(target.slice(dot + 1), module);
  }

  /**
   * Sets training mode on this module and every descendant (`train(mode)`).
   * @returns this module
   */
  train(mode = true): this {
    if (typeof mode !== "boolean") {
      throw new TypeError(`mode: training mode is expected to be boolean, got ${show(mode)}`);
    }
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  /** Evaluation mode, recursively (`eval()`, i.e. `train(false)`). @returns this module */
  eval(): this {
    return this.train(false);
  }

  /** Calls `fn` on every descendant, then on this module (`apply`). @returns this module */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Adds this module's own entries to `destination` under `prefix` (PyTorch's
   * `_save_to_state_dict`): parameters then persistent buffers, absent ones skipped. Override
   * (calling `super`) to add entries such as quantized weights and their qparams.
   */
  protected saveToStateDict(destination: StateDict, prefix: string): void {
    for (const [name, p] of this[PARAMETERS]) {
      if (p !== null) destination.set(prefix + name, fromTensor(p));
    }
    for (const [name, b] of this[BUFFERS]) {
      if (b !== null && !this[NON_PERSISTENT].has(name)) {
        destination.set(prefix + name, asTypedTensor(b));
      }
    }
  }

  /**
   * Reads this module's own entries under `prefix` (PyTorch's `_load_from_state_dict`):
   * parameters and persistent buffers, each checked for dtype and shape and copied in place once
   * the whole load has succeeded. Override (calling `super`) to read other entries through
   * `reader` (`take`, `expect`, `defer`).
   */
  protected loadFromStateDict(reader: StateDictReader, prefix: string): void {
    for (const [name, p] of this[PARAMETERS]) {
      if (p !== null) reader.copyInto(prefix + name, p);
    }
    for (const [name, b] of this[BUFFERS]) {
      if (b !== null && !this[NON_PERSISTENT].has(name)) reader.copyInto(prefix + name, b);
    }
  }

  /**
   * The state dict (`state_dict()`): every parameter and persistent buffer under its dotted
   * key (`conv1.weight`, `bn1.running_mean`, `bn1.num_batches_tracked`), in PyTorch's order.
   * The data arrays are the module's own (not copied), as in PyTorch.
   */
  stateDict(options: { prefix?: string } = {}): StateDict {
    const destination: StateDict = new Map();
    const visit = (m: Module, prefix: string) => {
      m.saveToStateDict(destination, prefix);
      for (const [name, child] of m.adoptFields()) {
        if (child !== null) visit(child, `${prefix}${name}.`);
      }
    };
    visit(this, options.prefix ?? "");
    return destination;
  }

  /**
   * Copies a state dict into this module's parameters and buffers (`load_state_dict`). Every
   * entry is checked before anything is written: on any error nothing changes.
   * @returns the missing and unexpected keys (both empty when `strict`)
   * @throws {StateDictError} for a shape or dtype mismatch, and with `strict` (the default) for
   * a missing or unexpected key; the message lists every problem with its key.
   */
  loadStateDict(
    stateDict: StateDictSource,
    options: StateDictLoadOptions = {},
  ): StateDictLoadResult {
    const strict = options.strict ?? true;
    const reader = new StateDictReader(stateDict);
    const visit = (m: Module, prefix: string) => {
      m.loadFromStateDict(reader, prefix);
      for (const [name, child] of m.adoptFields()) {
        if (child !== null) visit(child, `${prefix}${name}.`);
      }
    };
    visit(this, "");
    const missingKeys = [...reader.missingKeys];
    const unexpectedKeys = reader.unexpectedKeys();
    const failed = reader.mismatches.length > 0 ||
      (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0));
    if (failed) {
      throw new StateDictError(this.getName(), {
        missingKeys: strict ? missingKeys : [],
        unexpectedKeys: strict ? unexpectedKeys : [],
        mismatches: reader.mismatches,
      });
    }
    reader.commit();
    return { missingKeys, unexpectedKeys };
  }

  /**
   * A deep copy of this module and everything it holds (`copy.deepcopy(module)`); kernel sets
   * are shared. `shareHistograms` keeps HistogramObservers shared instead of refusing them.
   * @throws {TypeError} when the tree holds a HistogramObserver (its histogram cannot be
   * copied) and `shareHistograms` is not set: copy before `prepare`.
   */
  clone(options: { shareHistograms?: boolean } = {}): this {
    return deepCopy(this, moduleCopyOptions(options));
  }

  /** The name `toString()` and error messages show (PyTorch's `_get_name()`): the class name. */
  getName(): string {
    return typeName(this);
  }

  /** The arguments shown in `toString()` (PyTorch's `extra_repr`). */
  extraRepr(): string {
    return "";
  }

  /** PyTorch's module printout: `Net(\n  (conv1): Conv2d(1, 4, kernel_size=(3, 3), …)\n)`. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.getName()}(${this.extraRepr()}`;
    if (children.length === 0) return `${head})`;
    const lines = children.map(([name, m]) => `  (${name}): ${String(m).split("\n").join("\n  ")}`);
    const extra = this.extraRepr();
    return `${this.getName()}(\n${extra ? `  ${extra}\n` : ""}${lines.join("\n")}\n)`;
  }
}
