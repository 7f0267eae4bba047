// Loading: turns paths into parsed modules, following `import`s. Owns file-level problems
// (missing, not UTF-8, too large, empty) and import cycles. Reads files through a
// `CompilerHost`, so the language server can serve unsaved editor buffers.

import { readdirSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { ImportDecl, Module } from './ast.js';
import { closest } from './check/context.js';
import { type Diagnostic, diagnostic } from './diagnostics.js';
import { parse } from './parser.js';
import { readBounded } from './read.js';
import { SourceFile, type Span } from './source.js';

/** Files larger than this are refused with RL1009. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** What a host returns for a path. */
export type HostFile =
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'missing'; reason: string }
  /** More than `MAX_FILE_BYTES` (refused after reading that many, whatever `stat` says). */
  | { kind: 'too-large' };

/** How the compiler reads files. */
export interface CompilerHost {
  readFile(path: string): HostFile;
  /** The names of the `.route` files in a folder, to suggest one for a mistyped import (optional). */
  listRouteFiles?(folder: string): readonly string[];
}

/** Reads from disk; `overlay` (absolute path → text) wins over disk, for unsaved editor buffers. */
export function nodeHost(overlay?: ReadonlyMap<string, string>): CompilerHost {
  return {
    readFile(path: string): HostFile {
      const open = overlay?.get(path);
      if (open !== undefined) return { kind: 'text', text: open };
      const read = readBounded(path, MAX_FILE_BYTES);
      return read.kind === 'bytes' ? { kind: 'bytes', bytes: read.bytes } : read.kind === 'too-large' ? { kind: 'too-large' } : read;
    },
    listRouteFiles(folder: string): readonly string[] {
      try {
        return readdirSync(folder, { withFileTypes: true })
          .filter((e) => e.isFile() && e.name.endsWith('.route'))
          .slice(0, 1000)
          .map((e) => e.name);
      } catch {
        return [];
      }
    },
  };
}

/** One loaded file. */
export interface LoadedModule {
  readonly path: string;
  readonly source: SourceFile;
  readonly module: Module;
  /** Resolved absolute paths of this file's imports, in order (undefined where the import failed). */
  readonly imports: readonly { readonly decl: ImportDecl; readonly path: string | undefined }[];
}

/** All files of a policy, each after the files it imports (the entry last). */
export interface LoadedProgram {
  readonly entry: string;
  readonly modules: ReadonlyMap<string, LoadedModule>;
  readonly diagnostics: readonly Diagnostic[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes file contents into text, or explains why it is not a policy file. */
export function decodeSource(path: string, file: HostFile): { text: string; diagnostics: Diagnostic[] } {
  const at: Span = { start: 0, end: 0 };
  if (file.kind === 'missing') return { text: '', diagnostics: [diagnostic('RL1010', path, at, `cannot read this file: it ${file.reason}`)] };
  if (file.kind === 'too-large') return { text: '', diagnostics: [tooLarge(path, MAX_FILE_BYTES + 1)] };
  if (file.kind === 'text') {
    if (file.text.length > MAX_FILE_BYTES) return { text: '', diagnostics: [tooLarge(path, file.text.length)] };
    return { text: file.text, diagnostics: [] };
  }
  const bytes = file.bytes;
  if (bytes.length > MAX_FILE_BYTES) return { text: '', diagnostics: [tooLarge(path, bytes.length)] };
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    return {
      text: '',
      diagnostics: [
        diagnostic('RL1008', path, at, `this file is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')} at offset ${bad})`, {
          help: 'save the file as UTF-8',
        }),
      ],
    };
  }
  {
    let text = utf8.decode(bytes);
    if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`; // keep offsets: a BOM becomes a space
    const nul = text.indexOf('\u0000');
    if (nul >= 0) {
      return { text: '', diagnostics: [diagnostic('RL1008', path, at, `this is a binary file (it contains a NUL byte at offset ${nul}), not policy text`)] };
    }
    return { text, diagnostics: [] };
  }
}

function tooLarge(path: string, size: number): Diagnostic {
  return diagnostic(
    'RL1009',
    path,
    { start: 0, end: 0 },
    `this file is larger than ${Math.round(MAX_FILE_BYTES / 1024 / 1024)} MiB, the largest policy file accepted (${size > MAX_FILE_BYTES * 4 ? 'far ' : ''}over the limit)`,
    {
      help: 'split the policy into files joined with `import`',
    },
  );
}

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Loads `entry` and every file it imports. Never throws. */
export function loadProgram(entry: string, host: CompilerHost = nodeHost()): LoadedProgram {
  const entryPath = resolvePath(entry);
  const modules = new Map<string, LoadedModule>();
  const diagnostics: Diagnostic[] = [];
  const stack: string[] = [];
  const loading = new Set<string>();

  const visit = (path: string, file: HostFile): void => {
    const decoded = decodeSource(path, file);
    diagnostics.push(...decoded.diagnostics);
    const source = new SourceFile(path, decoded.text);
    const parsed = parse(decoded.text, path);
    diagnostics.push(...parsed.diagnostics);
    if (decoded.diagnostics.length === 0 && parsed.diagnostics.length === 0 && parsed.module.declarations.length === 0) {
      diagnostics.push(
        diagnostic('RL1011', path, { start: 0, end: 0 }, 'this file declares nothing', { help: 'start with `policy NAME` and a `route { … }` block' }),
      );
    }
    const imports: { decl: ImportDecl; path: string | undefined }[] = [];
    const loaded: LoadedModule = { path, source, module: parsed.module, imports };
    loading.add(path);
    stack.push(path);
    for (const decl of parsed.module.declarations) {
      if (decl.kind !== 'Import') continue;
      const target = resolvePath(dirname(path), decl.path.value);
      const cycleAt = stack.indexOf(target);
      if (cycleAt >= 0) {
        const chain = [...stack.slice(cycleAt), target].map((p) => `\`${shortName(p)}\``).join(' → ');
        diagnostics.push(
          diagnostic('RL2019', path, decl.path.span, `import cycle: ${chain}`, { help: 'move the shared declarations into a file that both import' }),
        );
        imports.push({ decl, path: undefined });
        continue;
      }
      if (!target.endsWith('.route')) {
        // Never read (and so never echo into diagnostics and CI logs) a file that is not a
        // policy: `import ".env"` would print its secrets in a parse error.
        diagnostics.push(
          diagnostic('RL2020', path, decl.path.span, `cannot import "${decl.path.value}": only policy files (\`.route\`) can be imported`, {
            help: 'import paths name `.route` files, relative to the importing file; this one was not read',
          }),
        );
        imports.push({ decl, path: undefined });
        continue;
      }
      if (!modules.has(target) && !loading.has(target)) {
        const file = host.readFile(target);
        if (file.kind === 'missing') {
          // A mistyped name: suggest the closest policy file in that folder, with a fix.
          const near = file.reason === 'does not exist' ? closest(basename(target), host.listRouteFiles?.(dirname(target)) ?? []) : undefined;
          const suggested = near === undefined ? undefined : decl.path.value.replace(/[^/\\]*$/, near);
          diagnostics.push(
            diagnostic(
              'RL2020',
              path,
              decl.path.span,
              `cannot import "${decl.path.value}": it ${file.reason}${suggested ? `; did you mean "${suggested}"?` : ''}`,
              suggested
                ? {
                    help: `import "${suggested}"`,
                    fix: { title: `import "${suggested}"`, edits: [{ file: path, span: decl.path.span, newText: JSON.stringify(suggested) }] },
                  }
                : { help: 'import paths are relative to the importing file' },
            ),
          );
          imports.push({ decl, path: undefined });
          continue;
        }
        visit(target, file);
      }
      imports.push({ decl, path: target });
    }
    stack.pop();
    // Post-order: a file's imports come before it, so declarations are seen in the order a
    // reader meets them (a clash between a catalogue and the entry is reported in the entry).
    modules.set(path, loaded);
  };

  visit(entryPath, host.readFile(entryPath));
  return { entry: entryPath, modules, diagnostics };
}

function shortName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}
