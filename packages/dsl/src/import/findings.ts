// After an import, the full checker runs on the generated policy, and what it finds is said
// again in the configuration's own terms: model groups and deployments by their names in
// the file, at the line of the setting that causes it.

import { compilePolicy } from '../compile.js';
import type { Diagnostic } from '../diagnostics.js';
import { nodeHost } from '../load.js';
import type { ImportNote } from './common.js';
import type { LiteLLMImport } from './litellm.js';
import type { PortkeyImport } from './portkey.js';

/** The checker's diagnostics on a generated policy (virtual file, never written). */
export function checkGenerated(policy: string): readonly Diagnostic[] {
  const path = '/routelang-import/imported.route';
  return compilePolicy(path, nodeHost(new Map([[path, policy]]))).diagnostics;
}

/** The rule a diagnostic is on: the text between `when ` and ` ->` of its line, or `otherwise`. */
function ruleOf(policy: string, d: Diagnostic): string | undefined {
  const line = policy.slice(0, d.span.start).split('\n').length - 1;
  const text = policy.split('\n')[line] ?? '';
  const m = /^\s*(?:when (.*?) ->|(otherwise) ->)/.exec(text);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Translates the checker's findings on an imported LiteLLM policy. */
export function liteLLMFindings(result: LiteLLMImport): ImportNote[] {
  const policy = result.policy;
  if (!policy) return [];
  const out: ImportNote[] = [];
  const original = (name: string): string => {
    const o = result.names.get(name) ?? name;
    return o.includes('#') ? `${o.replace(/#(\d+)$/, '')} (deployment ${o.replace(/^.*#/, '')})` : o;
  };
  const seen = new Set<string>();
  const push = (note: ImportNote) => {
    const key = `${note.path}\u0000${note.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(note);
  };
  for (const d of checkGenerated(policy)) {
    const rule = ruleOf(policy, d);
    const group = rule !== undefined ? result.ruleGroups.get(rule) : undefined;
    const info = group !== undefined ? result.groups.get(group) : undefined;
    const at = info?.at ?? { line: 0, column: 0, path: '' };
    if (d.code === 'RL1009') {
      push({ severity: 'note', ...at, message: "the generated policy is over the compiler's size limit: the analyses did not run (split the configuration)" });
      continue;
    }
    if (d.severity === 'error' && d.code.startsWith('RL1')) {
      push({ severity: 'error', ...at, message: `the generated policy does not parse (a bug in the importer): ${d.code} ${d.message}` });
      continue;
    }
    switch (d.code) {
      case 'RL3007': {
        const cycles = info?.cycles ?? [];
        if (cycles.length > 0) {
          for (const cycle of cycles) {
            // One finding per cycle, however many of its groups run into it.
            const ring = cycle.slice(cycle.indexOf(cycle.at(-1) as string), -1);
            const key = `cycle\u0000${[...ring].sort().join('\u0000')}`;
            if (seen.has(key)) continue;
            seen.add(key);
            push({ severity: 'finding', ...at, message: `fallback cycle ${cycle.join(' → ')}` });
          }
        } else {
          const m = /`([^`]+)` in `/.exec(d.message);
          const again = result.deployments.get(m?.[1] ?? '')?.group;
          // LiteLLM follows content_policy_fallbacks after a refusal and fallbacks after other
          // errors, never both; a policy cannot keep the two paths apart, so the repeat is the
          // translation's, not the configuration's.
          if (again !== undefined && info?.bothFallbacks.includes(again))
            push({
              severity: 'note',
              ...at,
              message: `\`${group}\`: \`${again}\` is both a content-policy fallback and a fallback; after a refusal LiteLLM tries only the content-policy fallbacks, while the imported policy goes on to the others when they fail too (calling \`${again}\` again)`,
            });
          else push({ severity: 'finding', ...at, message: `the fallbacks of \`${group}\` call \`${original(m?.[1] ?? '')}\` again after it failed` });
        }
        break;
      }
      case 'RL3005': {
        const m = /^`([^`]+)` has a ([\d,]+)-token window/.exec(d.message);
        const small = m?.[1];
        const facts = small ? result.deployments.get(small) : undefined;
        if (!small || !facts || group === undefined) {
          push({ severity: 'finding', ...at, message: d.message });
          break;
        }
        const primary = [...result.deployments.entries()].filter(([, f]) => f.group === group);
        const largest = Math.max(...primary.map(([, f]) => f.window));
        // Requests for the group fit the group's own window (LiteLLM fails larger ones there);
        // a fallback is a problem only when its window is smaller than that.
        if (facts.window >= largest) break;
        const guess = facts.windowAssumed || primary.some(([, f]) => f.windowAssumed);
        const from = primary.map(([n]) => `\`${original(n)}\``).join(', ');
        const message =
          facts.group === group
            ? `model group \`${group}\` mixes context windows: \`${original(small)}\` takes ${facts.window.toLocaleString('en-US')} tokens, another deployment ${largest.toLocaleString('en-US')}`
            : `fallback \`${facts.group}\` (${facts.window.toLocaleString('en-US')}-token window) can receive up to ${largest.toLocaleString('en-US')} tokens from ${from}`;
        push({ severity: guess ? 'note' : 'finding', ...at, message: guess ? `${message} (a window is assumed: set max_input_tokens)` : message });
        break;
      }
      case 'RL3001':
      case 'RL3002':
        push({ severity: 'finding', ...at, message: `\`${group ?? rule}\`: ${d.message.replace(/`([^`]+)`/g, (_, n: string) => `\`${original(n)}\``)}` });
        break;
      case 'RL2033': {
        // A deployment no request reaches: the import already said why when LiteLLM never picks it.
        const name = /model `([^`]+)`/.exec(d.message)?.[1] ?? '';
        if (result.unpicked.has(name)) break;
        push({
          severity: 'note',
          ...(result.deployments.get(name)?.at ?? at),
          message: `\`${original(name)}\`: no request reaches this deployment in the imported policy`,
        });
        break;
      }
      default:
        push({ severity: d.severity === 'error' ? 'finding' : 'note', ...at, message: `${d.code}: ${d.message}` });
    }
  }
  return out;
}

/** Translates the checker's findings on an imported Portkey policy (targets by their names). */
export function portkeyFindings(result: PortkeyImport): ImportNote[] {
  const policy = result.policy;
  if (!policy) return [];
  const out: ImportNote[] = [];
  const rename = (text: string) => text.replace(/`([^`]+)`/g, (all, n: string) => (result.names.has(n) ? `\`${result.names.get(n)}\`` : all));
  for (const d of checkGenerated(policy)) {
    const line = policy.slice(0, d.span.start).split('\n').length;
    // At the first target the message names; else at the line of the generated policy.
    const named = [...d.message.matchAll(/`([^`]+)`/g)].map((m) => result.places.get(m[1] as string)).find((p) => p !== undefined);
    const where = named ?? { path: `imported policy line ${line}`, line: 0, column: 0 };
    if (d.code.startsWith('RL1') || (d.code.startsWith('RL2') && d.severity === 'error')) {
      out.push({ severity: 'error', ...where, message: `the generated policy does not check (a bug in the importer): ${d.code} ${d.message}` });
      continue;
    }
    switch (d.code) {
      case 'RL3007': {
        const raw = /`([^`]+)` in `/.exec(d.message)?.[1] ?? '?';
        const again = result.names.get(raw) ?? raw;
        out.push({
          severity: 'finding',
          ...where,
          message: `a fallback calls \`${again}\` again after it failed: Portkey repeats the call (and its failure); use \`retry\` for a second attempt, or fall back to another target`,
        });
        break;
      }
      case 'RL3001':
        out.push({ severity: 'finding', ...where, message: `a condition can never match: ${rename(d.message)}` });
        break;
      case 'RL3002':
        out.push({ severity: 'finding', ...where, message: `a condition never decides, earlier ones take all its requests: ${rename(d.message)}` });
        break;
      case 'RL3005':
        // Portkey configs carry no context windows: every target is imported with the same one.
        break;
      default:
        out.push({ severity: d.severity === 'error' ? 'finding' : 'note', ...where, message: `${d.code}: ${rename(d.message)}` });
    }
  }
  return out;
}
