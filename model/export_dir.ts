/**
 * Reading a directory written by scripts/export/fx_export.py (internal).
 * @module
 */
import { readSafetensors } from "../nn/safetensors.ts";
import type { TypedTensor } from "../nn/typed_tensor.ts";
import type { GraphModuleJSON, QConfigMappingJSON } from "../nn/fx/mod.ts";

/** What fx_export.py's manifest.json says. */
export interface ExportManifest {
  /** `qint8-fx-export/1`. */
  readonly format: string;
  /** `static`, `qat` or `dynamic`. */
  readonly flow: string;
  /** `qnnpack`, `fbgemm`, `x86` or `onednn`. */
  readonly backend: string;
  /** The engine PyTorch ran the quantized model on. */
  readonly engine: string;
  /** The input shape. */
  readonly input_shape: number[];
  /** Provenance: torch version, machine. */
  readonly source: Record<string, unknown>;
  /** What the export is. */
  readonly description?: string;
}

/** The files of an export. */
export interface ExportDir {
  readonly manifest: ExportManifest;
  readonly floatGraph: GraphModuleJSON;
  readonly floatState: Map<string, TypedTensor>;
  readonly preparedGraph: GraphModuleJSON;
  readonly preparedState: Map<string, TypedTensor>;
  readonly convertedGraph: GraphModuleJSON;
  readonly convertedState: Map<string, TypedTensor>;
  readonly io: Map<string, TypedTensor>;
  /** The QConfigMapping used instead of the backend's default, when one was. */
  readonly qconfigMapping?: QConfigMappingJSON;
}

const FLOWS = ["static", "qat", "dynamic"];
const BACKENDS = ["qnnpack", "fbgemm", "x86", "onednn"];

/**
 * Reads and checks an export directory.
 * @throws {Error} naming the directory and the missing or malformed file.
 */
export async function readExportDir(dir: string): Promise<ExportDir> {
  const path = (name: string) => `${dir.replace(/\/$/, "")}/${name}`;
  const text = async (name: string) => {
    try {
      return await Deno.readTextFile(path(name));
    } catch (e) {
      throw new Error(
        `${dir}: cannot read ${name} (${(e as Error).message}); is this an fx_export.py output?`,
      );
    }
  };
  const json = async <T>(name: string): Promise<T> => {
    try {
      return JSON.parse(await text(name));
    } catch (e) {
      if ((e as Error).message.startsWith(dir)) throw e;
      throw new Error(`${dir}/${name}: not valid JSON (${(e as Error).message})`);
    }
  };
  const tensors = async (name: string) => {
    try {
      return readSafetensors(await Deno.readFile(path(name)));
    } catch (e) {
      throw new Error(`${dir}/${name}: ${(e as Error).message}`);
    }
  };
  const manifest = await json<ExportManifest & { files?: Record<string, string> }>(
    "manifest.json",
  );
  if (manifest.format !== "qint8-fx-export/1") {
    throw new Error(
      `${dir}/manifest.json: format ${JSON.stringify(manifest.format)}, expected qint8-fx-export/1`,
    );
  }
  if (!FLOWS.includes(manifest.flow) || !BACKENDS.includes(manifest.backend)) {
    throw new Error(
      `${dir}/manifest.json: flow ${manifest.flow} / backend ${manifest.backend} is not one of ${FLOWS} / ${BACKENDS}`,
    );
  }
  const io = await tensors("io.safetensors");
  if (!io.has("input") || !io.has("float_output")) {
    throw new Error(`${dir}/io.safetensors: needs "input" and "float_output"`);
  }
  return {
    manifest,
    floatGraph: await json("float_graph.json"),
    floatState: await tensors("float_state.safetensors"),
    preparedGraph: await json("prepared_graph.json"),
    preparedState: await tensors("prepared_state.safetensors"),
    convertedGraph: await json("converted_graph.json"),
    convertedState: await tensors("converted_state.safetensors"),
    io,
    qconfigMapping: manifest.files?.["qconfig_mapping.json"] === undefined
      ? undefined
      : await json<QConfigMappingJSON>("qconfig_mapping.json"),
  };
}
