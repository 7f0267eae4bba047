// The workspace: the open documents, the folders the editor opened, the front-end check of
// each entry file (cached per edit), and the latest analysis report of each open document.
// Every LSP feature asks it questions; it never talks the protocol.
// A document is checked as the entry of its own program (following its imports), with open
// editor buffers winning over what is on disk.

import {
  type CompilerHost,
  checkPolicy,
  type Diagnostic,
  type FrontEndResult,
  type HostFile,
  indexSymbols,
  type SourceFile,
  type SymbolIndex,
} from '@routelang/dsl';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { AnalysisReport } from './analysis.js';
import type { RuleSummary } from './rule-summary.js';

/** How the workspace reaches files: disk in Node.js, memory in a browser. */
export interface WorkspaceFileSystem {
  /** Reads a file that is not open in the editor. */
  readFile(path: string): HostFile;
  /** Every `.route` file under a folder (recursively, skipping `node_modules` and dot folders). */
  listRouteFiles(folder: string): readonly string[];
}

/** The front-end check of one entry file, with what the features derive from it (on demand). */
export class Analysis {
  private indexCache: SymbolIndex | undefined;

  constructor(
    readonly entry: string,
    readonly front: FrontEndResult,
    readonly generation: number,
  ) {}

  /** Declarations and uses of every name in the program. */
  get index(): SymbolIndex {
    this.indexCache ??= indexSymbols(this.front.policy);
    return this.indexCache;
  }

  /** The loaded source of a file of this program. */
  source(file: string): SourceFile | undefined {
    return this.front.program.modules.get(file)?.source;
  }

  /** Whether the front end found an error (then the analyses do not run). */
  get hasErrors(): boolean {
    return this.front.diagnostics.some((d) => d.severity === 'error');
  }
}

/** Documents, folders, cached checks and analysis reports. */
export class Workspace {
  private readonly documents = new Map<string, TextDocument>();
  private readonly analyses = new Map<string, Analysis>();
  private readonly reports = new Map<string, AnalysisReport>();
  /** The analyses' diagnostics of each open document, moved along with the edits made since. */
  private readonly carried = new Map<string, Diagnostic[]>();
  private folders: string[] = [];
  /** Bumped on every edit: any file may be imported by any other, so every cached check goes stale. */
  private currentGeneration = 0;
  /** The generation at which each open file last changed, and at which the disk or the folders last did. */
  private readonly changedAt = new Map<string, number>();
  private diskChangedAt = 0;

  constructor(private readonly fs: WorkspaceFileSystem) {}

  get generation(): number {
    return this.currentGeneration;
  }

  /** Sets the folders the editor opened (absolute paths). */
  setFolders(folders: readonly string[]): void {
    this.folders = [...folders];
    this.diskChangedAt = ++this.currentGeneration;
  }

  open(path: string, text: string, version: number): void {
    this.documents.set(path, TextDocument.create(path, 'routelang', version, text));
    this.carried.delete(path);
    this.changedAt.set(path, ++this.currentGeneration);
  }

  /** Applies editor changes (full or incremental) to an open document. */
  change(path: string, changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    let document = this.documents.get(path);
    if (!document) return;
    for (const change of changes) {
      this.shiftCarried(path, document, change);
      document = TextDocument.update(document, [change], version);
    }
    this.documents.set(path, document);
    this.changedAt.set(path, ++this.currentGeneration);
  }

  /** Moves the carried diagnostics of `path` past an edit, as an editor moves its markers; drops those it touches. */
  private shiftCarried(path: string, before: TextDocument, change: TextDocumentContentChangeEvent): void {
    const list = this.carried.get(path);
    if (!list) return;
    if (!('range' in change)) {
      this.carried.delete(path);
      return;
    }
    const start = before.offsetAt(change.range.start);
    const end = before.offsetAt(change.range.end);
    const delta = change.text.length - (end - start);
    const kept: Diagnostic[] = [];
    for (const d of list) {
      if (d.span.end <= start) kept.push(d);
      else if (d.span.start >= end) kept.push({ ...d, span: { start: d.span.start + delta, end: d.span.end + delta }, related: [] });
    }
    this.carried.set(path, kept);
  }

  close(path: string): void {
    this.documents.delete(path);
    this.analyses.delete(path);
    this.reports.delete(path);
    this.carried.delete(path);
    this.changedAt.set(path, ++this.currentGeneration);
  }

  /** Something changed on disk (a file saved elsewhere, created or deleted). */
  filesChanged(): void {
    this.diskChangedAt = ++this.currentGeneration;
  }

  /** Whether nothing `entry` reads (its file and its imports) changed after `generation`. */
  private unchangedSince(entry: string, generation: number): boolean {
    if (this.diskChangedAt > generation) return false;
    for (const file of this.analysis(entry).front.program.modules.keys()) if ((this.changedAt.get(file) ?? 0) > generation) return false;
    return (this.changedAt.get(entry) ?? 0) <= generation;
  }

  document(path: string): TextDocument | undefined {
    return this.documents.get(path);
  }

  openPaths(): readonly string[] {
    return [...this.documents.keys()];
  }

  /** Open documents as path → text, for checking them elsewhere (the analysis worker). */
  overlay(): Map<string, string> {
    return new Map([...this.documents].map(([path, document]) => [path, document.getText()]));
  }

  /** The front-end check of `path` as an entry file, fresh for the current edits. */
  analysis(path: string): Analysis {
    const cached = this.analyses.get(path);
    if (cached && cached.generation === this.currentGeneration) return cached;
    const analysis = new Analysis(path, checkPolicy(path, this.host()), this.currentGeneration);
    this.analyses.set(path, analysis);
    return analysis;
  }

  /** Stores a report, if it is for the current edits. Returns whether it was stored. */
  setReport(report: AnalysisReport): boolean {
    if (!this.documents.has(report.entry) || !this.unchangedSince(report.entry, report.generation)) return false;
    this.reports.set(report.entry, report);
    this.carried.set(
      report.entry,
      report.diagnostics.filter((d) => d.code.startsWith('RL3') && d.file === report.entry),
    );
    return true;
  }

  /** The report of `entry`, only if it describes the current text of every file it reads. */
  freshReport(entry: string): AnalysisReport | undefined {
    const report = this.reports.get(entry);
    return report && this.unchangedSince(entry, report.generation) ? report : undefined;
  }

  /**
   * The diagnostics of `path` as an entry: the front end's, and the analyses' from the latest
   * report (moved along with later edits until a new report replaces them).
   */
  diagnostics(path: string): readonly Diagnostic[] {
    const analysis = this.analysis(path);
    return analysis.hasErrors ? analysis.front.diagnostics : [...analysis.front.diagnostics, ...(this.carried.get(path) ?? [])];
  }

  /** The summary of the rule starting at `start` in `file`, from the fresh report of `entry`. */
  ruleSummary(entry: string, file: string, start: number): RuleSummary | undefined {
    return this.freshReport(entry)?.rules.find((r) => r.file === file && r.start === start)?.summary;
  }

  /**
   * The checks of every policy that includes `file` (it or a file importing it), among the
   * open documents and the `.route` files of the workspace folders. References and rename
   * search these, so a model renamed in a shared catalogue is renamed where it is used.
   */
  analysesIncluding(file: string): Analysis[] {
    const entries = new Set<string>([...this.documents.keys(), ...this.folders.flatMap((f) => this.fs.listRouteFiles(f)), file]);
    const out: Analysis[] = [];
    for (const entry of entries) {
      const analysis = this.analysis(entry);
      if (analysis.front.program.modules.has(file)) out.push(analysis);
    }
    return out;
  }

  /** A compiler host that reads open documents first, then the file system. */
  host(): CompilerHost {
    return {
      readFile: (path: string): HostFile => {
        const document = this.documents.get(path);
        return document ? { kind: 'text', text: document.getText() } : this.fs.readFile(path);
      },
    };
  }
}
