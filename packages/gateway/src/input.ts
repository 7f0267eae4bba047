// From an OpenAI chat completions request to what the policy decides on.
//
// - The policy's first `text` field (its prompt) is the conversation's text: the text of
//   every message (system, user, assistant, tool; text parts of multi-part content), in
//   order, joined by a blank line. So `prompt.tokens` counts everything the model will be
//   sent, and a `contains` guard sees every message, not only the last.
// - Every other input field comes from the body's `metadata` object, else from an
//   `x-routelang-FIELD` header (`_` and `-` both accepted). A JSON value is taken as is; a
//   string is converted by the field's declared type: numbers and `tokens` from decimal
//   text, `bool` from `true`/`false`, `list<…>` from a JSON array or comma-separated text.
// - `tenant`, when API keys are configured, is the caller's key's tenant (a `tenant` in
//   metadata or a header is ignored).
// Shape errors name each bad field (`messages[2].role`, `metadata.risk`); the policy's own
// checks (unknown field, wrong type, out of range) follow in the router.

import type { Field, PolicyIR } from '@routelang/runtime';

/** A problem with the HTTP request, OpenAI style: the parameter it concerns and what is wrong. */
export interface BadField {
  readonly param: string;
  readonly message: string;
}

/** The parts of a chat completions body the gateway interprets. */
export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly Record<string, unknown>[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  /** Everything else, for the upstream. */
  readonly passthrough: Record<string, unknown>;
  readonly metadata: Readonly<Record<string, unknown>>;
}

const INTERPRETED = new Set(['model', 'messages', 'stream', 'stream_options', 'metadata']);
const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/** Checks the body's shape; returns the request or every problem found. */
export function parseChatRequest(body: unknown): { ok: true; request: ChatRequest } | { ok: false; problems: BadField[] } {
  const problems: BadField[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ param: '', message: 'the body must be a JSON object' }] };
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') problems.push({ param: 'model', message: '`model` must be a non-empty string (`auto` runs the policy)' });
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    problems.push({ param: 'messages', message: '`messages` must be a non-empty array' });
  } else {
    b.messages.forEach((m, i) => {
      if (typeof m !== 'object' || m === null || Array.isArray(m)) {
        problems.push({ param: `messages[${i}]`, message: 'a message must be an object' });
        return;
      }
      const role = (m as { role?: unknown }).role;
      if (typeof role !== 'string' || !ROLES.has(role))
        problems.push({ param: `messages[${i}].role`, message: `the role must be one of ${[...ROLES].join(', ')}` });
      const content = (m as { content?: unknown }).content;
      if (content !== undefined && content !== null && typeof content !== 'string' && !Array.isArray(content)) {
        problems.push({ param: `messages[${i}].content`, message: 'the content must be a string or an array of parts' });
      }
    });
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean') problems.push({ param: 'stream', message: '`stream` must be true or false' });
  const streamOptions = b.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && (typeof streamOptions !== 'object' || Array.isArray(streamOptions))) {
    problems.push({ param: 'stream_options', message: '`stream_options` must be an object' });
  }
  const metadata = b.metadata;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    problems.push({ param: 'metadata', message: "`metadata` must be an object of the policy's input fields" });
  }
  if (problems.length > 0) return { ok: false, problems };
  const passthrough: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (!INTERPRETED.has(k)) passthrough[k] = v;
  return {
    ok: true,
    request: {
      model: b.model as string,
      messages: b.messages as Record<string, unknown>[],
      stream: b.stream === true,
      includeUsage: (streamOptions as { include_usage?: unknown } | undefined)?.include_usage === true,
      passthrough,
      metadata: (metadata ?? {}) as Record<string, unknown>,
    },
  };
}

/** The text of a message's content: a string, or the text parts of an array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : ''))
    .filter((t) => t !== '')
    .join('\n');
}

/** The conversation's text, as the policy's prompt field sees it. */
export function conversationText(messages: readonly Record<string, unknown>[]): string {
  return messages
    .map((m) => contentText(m.content))
    .filter((t) => t !== '')
    .join('\n\n');
}

/** Builds the policy's input from the request; problems name the metadata key or header. */
export function policyInput(
  ir: PolicyIR,
  request: ChatRequest,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  tenant: string | undefined,
): { ok: true; input: Record<string, unknown> } | { ok: false; problems: BadField[] } {
  const input: Record<string, unknown> = {};
  const problems: BadField[] = [];
  const prompt = ir.inputs.find((f) => f.type.kind === 'text');
  if (prompt) input[prompt.name] = conversationText(request.messages);
  const declared = new Set(ir.inputs.map((f) => f.name));
  for (const key of Object.keys(request.metadata)) {
    if (key === prompt?.name) {
      problems.push({ param: `metadata.${key}`, message: `\`${key}\` is the conversation's text; it cannot be given in metadata` });
    } else if (!declared.has(key)) {
      problems.push({
        param: `metadata.${key}`,
        message: `the policy has no input field \`${key}\`; it has ${[...declared].map((d) => `\`${d}\``).join(', ')}`,
      });
    }
  }
  for (const field of ir.inputs) {
    if (field === prompt) continue;
    if (field.name === 'tenant' && tenant !== undefined) {
      input.tenant = tenant;
      continue;
    }
    const fromMetadata = Object.hasOwn(request.metadata, field.name) ? request.metadata[field.name] : undefined;
    const header = headerValue(headers, field.name);
    const raw = fromMetadata ?? header;
    if (raw === undefined || raw === null) continue;
    const converted = typeof raw === 'string' ? fromString(field, raw) : { ok: true as const, value: raw };
    if (converted.ok) input[field.name] = converted.value;
    else problems.push({ param: fromMetadata !== undefined ? `metadata.${field.name}` : `x-routelang-${field.name}`, message: converted.message });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, input };
}

function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, field: string): string | undefined {
  const names = [`x-routelang-${field.toLowerCase()}`, `x-routelang-${field.toLowerCase().replaceAll('_', '-')}`];
  for (const name of names) {
    const v = headers[name];
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.join(',');
  }
  return undefined;
}

/** Converts a string (a header, or metadata given as text) by the field's declared type. */
export function fromString(field: Field, text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  const type = field.type;
  switch (type.kind) {
    case 'int':
    case 'number':
    case 'tokens':
    case 'money':
    case 'percent':
    case 'duration': {
      const n = text.trim() === '' ? Number.NaN : Number(text);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: `\`${field.name}\` is a number; "${text.slice(0, 40)}" is not` };
    }
    case 'bool':
      if (text === 'true') return { ok: true, value: true };
      if (text === 'false') return { ok: true, value: false };
      return { ok: false, message: `\`${field.name}\` is true or false; "${text.slice(0, 40)}" is neither` };
    case 'list': {
      if (text.trimStart().startsWith('[')) {
        try {
          return { ok: true, value: JSON.parse(text) as unknown };
        } catch {
          return { ok: false, message: `\`${field.name}\` is a list: a JSON array or comma-separated values` };
        }
      }
      return { ok: true, value: text === '' ? [] : text.split(',').map((s) => s.trim()) };
    }
    default:
      return { ok: true, value: text };
  }
}
