// Streaming from the contract (docs/runtime.md, "Streaming"): until the first text reaches
// the caller, retries, fallbacks, escalations and next candidates happen as in run(); after
// it the answer cannot change, so a failure ends the run (`streamed: true`). Cascade steps
// before the last and `try … until` answers are held until accepted, then sent in one piece.
// Plus the Anthropic translation and the SSE reader's bounds.

import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../packages/dsl/src/compile.js';
import { nodeHost } from '../packages/dsl/src/load.js';
import { translateRequest } from '../packages/runtime/src/anthropic.js';
import { type ModelAdapter, ProviderError, Router, type RunResult, type StreamEvent } from '../packages/runtime/src/index.js';
import { readSse } from '../packages/runtime/src/sse.js';

const POLICY = `policy streaming
model mini { provider = "a" id = "mini" price = { input: $1 per 1M, output: $2 per 1M } context = 8k max_output = 1k }
model big { provider = "b" id = "big" price = { input: $10 per 1M, output: $20 per 1M } context = 8k max_output = 1k }
input {
  prompt: text
  form: enum { single, fall, retry, cascade, vetted, lookup, choice } = single
}
validator quality = extern "quality"
tool kb { kind = search }
route {
  when form == fall -> mini fallback big
  when form == retry -> mini with { retries: 2 }
  when form == cascade -> cascade [mini, big] until quality >= 0.8
  when form == vetted -> try kb until quality >= 0.8 else big
  when form == lookup -> try kb else big
  when form == choice -> fastest [mini, big]
  otherwise -> mini
}
`;

function compile() {
  const path = '/virtual/streaming.route';
  const result = compilePolicy(path, nodeHost(new Map([[path, POLICY]])));
  if (!result.ir) throw new Error(result.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
  return result.ir;
}

/** An adapter that streams `pieces` (then fails with `failAfter` pieces sent, when given). */
function streaming(pieces: string[], failAfter?: number, delayMs = 0): ModelAdapter {
  return async (call) => {
    let text = '';
    for (let i = 0; i < pieces.length; i++) {
      if (failAfter !== undefined && i === failAfter) throw new ProviderError('server_error', 'cut off');
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (call.signal.aborted) throw new ProviderError('timeout', 'aborted');
      call.onDelta?.(pieces[i] as string);
      text += pieces[i];
    }
    if (failAfter !== undefined && failAfter >= pieces.length) throw new ProviderError('server_error', 'cut off');
    return { text, usage: { inputTokens: 1, outputTokens: pieces.length } };
  };
}

async function load(a: ModelAdapter, b: ModelAdapter = streaming(['big ', 'answer']), options: { firstTokenTimeoutMs?: number; kb?: string | null } = {}) {
  return Router.load(compile(), {
    tokenizer: () => 1,
    adapters: { a, b },
    tools: { kb: async () => (options.kb === undefined || options.kb === null ? null : { text: options.kb }) },
    validators: { quality: (answer: string) => (answer.startsWith('big') || answer === 'good' ? 0.9 : 0.1) },
    ...(options.firstTokenTimeoutMs !== undefined ? { firstTokenTimeoutMs: options.firstTokenTimeoutMs } : {}),
  });
}

async function drain(events: AsyncIterable<StreamEvent>): Promise<{ texts: string[]; result: RunResult }> {
  const texts: string[] = [];
  let result: RunResult | undefined;
  for await (const e of events) {
    if (e.type === 'text') texts.push(`${e.model ?? 'tool'}:${e.text}`);
    else result = e.result;
  }
  if (!result) throw new Error('no done event');
  return { texts, result };
}

describe('router.stream()', () => {
  it('yields the text as it comes, then the same result run() returns', async () => {
    const router = await load(streaming(['a', 'b', 'c']));
    const { texts, result } = await drain(router.stream({ prompt: 'x' }));
    expect(texts).toEqual(['mini:a', 'mini:b', 'mini:c']);
    expect(result).toMatchObject({ ok: true, text: 'abc', model: 'mini', streamed: true });
    const run = await router.run({ prompt: 'x' });
    expect(run).toMatchObject({ ok: true, text: 'abc', model: 'mini' });
  });

  it('an adapter that does not stream is sent in one piece', async () => {
    const router = await load(async () => ({ text: 'whole', usage: { inputTokens: 1, outputTokens: 1 } }));
    expect((await drain(router.stream({ prompt: 'x' }))).texts).toEqual(['mini:whole']);
  });

  it('falls back and retries freely before the first text', async () => {
    const fall = await load(streaming(['never'], 0));
    const fell = await drain(fall.stream({ prompt: 'x', form: 'fall' }));
    expect(fell.texts).toEqual(['big:big ', 'big:answer']);
    expect(fell.result).toMatchObject({ ok: true, model: 'big', fallbacks: 1 });
    let calls = 0;
    const flaky: ModelAdapter = (call) => (++calls < 3 ? Promise.reject(new ProviderError('server_error', 'down')) : streaming(['ok'])(call));
    const retried = await drain((await load(flaky)).stream({ prompt: 'x', form: 'retry' }));
    expect(retried.texts).toEqual(['mini:ok']);
    expect(retried.result.attempts.map((a) => a.outcome)).toEqual(['error', 'error', 'ok']);
  });

  it('after the first text a failure ends the run: no retry, no fallback, streamed: true', async () => {
    for (const form of ['fall', 'retry']) {
      const router = await load(streaming(['one ', 'two ', 'three'], 2));
      const { texts, result } = await drain(router.stream({ prompt: 'x', form }));
      expect(texts).toEqual(['mini:one ', 'mini:two ']);
      expect(result).toMatchObject({ ok: false, errorClass: 'server_error', streamed: true, fallbacks: 0 });
      expect(result.attempts).toHaveLength(1);
    }
  });

  it('holds cascade steps before the last until accepted; the last streams live', async () => {
    const rejected = await drain((await load(streaming(['weak ', 'answer']))).stream({ prompt: 'x', form: 'cascade' }));
    expect(rejected.texts).toEqual(['big:big ', 'big:answer']);
    expect(rejected.result).toMatchObject({ ok: true, model: 'big', escalations: 1 });
    const accepted = await drain((await load(streaming(['go', 'od']))).stream({ prompt: 'x', form: 'cascade' }));
    expect(accepted.texts).toEqual(['mini:good']);
    // A held step that fails escalates (nothing was sent).
    const failed = await drain((await load(streaming(['x ', 'y'], 1))).stream({ prompt: 'x', form: 'cascade' }));
    expect(failed.texts).toEqual(['big:big ', 'big:answer']);
  });

  it('sends a tool answer in one piece; a vetted one only once accepted', async () => {
    const looked = await drain((await load(streaming(['unused']), undefined, { kb: 'from the kb' })).stream({ prompt: 'x', form: 'lookup' }));
    expect(looked.texts).toEqual(['tool:from the kb']);
    const vetted = await drain((await load(streaming(['unused']), undefined, { kb: 'weak' })).stream({ prompt: 'x', form: 'vetted' }));
    expect(vetted.texts).toEqual(['big:big ', 'big:answer']);
  });

  it('a call silent past the first-token limit times out and falls back', async () => {
    const router = await load(streaming(['late'], undefined, 400), undefined, { firstTokenTimeoutMs: 50 });
    const { texts, result } = await drain(router.stream({ prompt: 'x', form: 'fall' }));
    expect(texts).toEqual(['big:big ', 'big:answer']);
    expect(result.attempts[0]).toMatchObject({ target: 'mini', errorClass: 'timeout' });
    expect(result.attempts[0]?.message).toMatch(/first-token limit/);
    expect(result.attempts[1]?.firstTokenMs).toBeGreaterThanOrEqual(0);
  });

  it('stopping the loop cancels the run and its call', async () => {
    let aborted = false;
    const slow: ModelAdapter = async (call) => {
      call.onDelta?.('first');
      await new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve(), { once: true }));
      aborted = call.signal.aborted;
      throw new ProviderError('timeout', 'aborted');
    };
    const router = await load(slow);
    for await (const e of router.stream({ prompt: 'x' })) {
      expect(e).toEqual({ type: 'text', text: 'first', model: 'mini' });
      break;
    }
    expect(aborted).toBe(true);
  });
});

describe('the commit point, at its edges', () => {
  it('empty or non-text pieces send nothing, so a failure after them still falls back', async () => {
    const junk: ModelAdapter = async (call) => {
      call.onDelta?.('');
      call.onDelta?.(42 as unknown as string);
      throw new ProviderError('server_error', 'down');
    };
    const { texts, result } = await drain((await load(junk)).stream({ prompt: 'x', form: 'fall' }));
    expect(texts).toEqual(['big:big ', 'big:answer']);
    expect(result).toMatchObject({ ok: true, model: 'big', fallbacks: 1 });
  });

  it('a call that timed out cannot send text any more', async () => {
    const late: ModelAdapter = (call) =>
      new Promise((_, reject) => {
        setTimeout(() => {
          call.onDelta?.('too late');
          reject(new ProviderError('server_error', 'gave up'));
        }, 120);
      });
    const router = await load(late, undefined, { firstTokenTimeoutMs: 30 });
    const { texts, result } = await drain(router.stream({ prompt: 'x', form: 'fall' }));
    await new Promise((r) => setTimeout(r, 150));
    expect(texts).toEqual(['big:big ', 'big:answer']);
    expect(result).toMatchObject({ ok: true, model: 'big' });
  });

  it('the first text stops the first-token clock: a slow rest of the answer is not a timeout', async () => {
    const quickThenSlow: ModelAdapter = async (call) => {
      call.onDelta?.('a');
      await new Promise((r) => setTimeout(r, 120));
      call.onDelta?.('b');
      return { text: 'ab', usage: { inputTokens: 1, outputTokens: 2 } };
    };
    const { texts, result } = await drain((await load(quickThenSlow, undefined, { firstTokenTimeoutMs: 40 })).stream({ prompt: 'x' }));
    expect(texts).toEqual(['mini:a', 'mini:b']);
    expect(result).toMatchObject({ ok: true, text: 'ab' });
    expect(result.attempts[0]?.firstTokenMs).toBeLessThan(40);
  });

  it('after the first text, the last cascade step failing fails the run (not the held answer), and a choice tries no other candidate', async () => {
    const weak = streaming(['weak']);
    const cut = streaming(['big ', 'then'], 1);
    const cascade = await drain((await load(weak, cut)).stream({ prompt: 'x', form: 'cascade' }));
    expect(cascade.texts).toEqual(['big:big ']);
    expect(cascade.result).toMatchObject({ ok: false, streamed: true });
    const choice = await drain((await load(streaming(['one ', 'two'], 1), streaming(['other']))).stream({ prompt: 'x', form: 'choice' }));
    expect(choice.texts).toEqual(['mini:one ']);
    expect(choice.result).toMatchObject({ ok: false, streamed: true });
    expect(choice.result.attempts).toHaveLength(1);
  });
});

describe('the Anthropic translation', () => {
  const model = {
    name: 'c',
    provider: 'anthropic',
    id: 'claude-x',
    inputPrice: 0,
    outputPrice: 0,
    context: 1000,
    deployment: 'cloud' as const,
    regions: [],
    tags: [],
  };
  const call = (messages: Record<string, unknown>[], passthrough: Record<string, unknown> = {}) =>
    translateRequest({
      model,
      prompt: '',
      maxTokens: undefined,
      timeoutMs: 1,
      signal: new AbortController().signal,
      promptTokens: 0,
      countTokens: () => 0,
      messages,
      passthrough,
    });

  it('moves system messages out, merges roles, turns tool calls and results into blocks', () => {
    const body = call([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"q":"oslo"}' } }] },
      { role: 'tool', tool_call_id: 't1', content: 'rain' },
      { role: 'user', content: [{ type: 'text', text: 'and tomorrow?' }] },
    ]);
    expect(body.system).toBe('be brief');
    expect(body.max_tokens).toBe(4096);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'lookup', input: { q: 'oslo' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'rain' },
          { type: 'text', text: 'and tomorrow?' },
        ],
      },
    ]);
  });

  it('maps the options Anthropic has and drops those it has not', () => {
    const body = call([{ role: 'user', content: 'x' }], {
      temperature: 1.5,
      top_p: 0.9,
      stop: 'END',
      max_tokens: 50,
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      response_format: { type: 'json_object' },
      seed: 3,
      n: 2,
    });
    expect(body).toEqual({
      model: 'claude-x',
      max_tokens: 50,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      temperature: 1,
      top_p: 0.9,
      stop_sequences: ['END'],
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    });
  });
});

describe('the SSE reader', () => {
  const body = (parts: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
        controller.close();
      },
    });

  it('joins data lines, splits events on blank lines across chunk borders, skips comments', async () => {
    const events = [];
    for await (const e of readSse(body(['event: a\ndata: 1\nda', 'ta: 2\n\n: comment\n\r\ndata: x\r\n\r\n']), 'u')) events.push(e);
    expect(events).toEqual([
      { event: 'a', data: '1\n2' },
      { event: undefined, data: 'x' },
    ]);
  });

  it('fails a line longer than 1 MiB instead of buffering it', async () => {
    const read = async () => {
      for await (const _ of readSse(body(['data: ', 'x'.repeat(1_100_000)]), 'u')) {
        // unreachable
      }
    };
    await expect(read()).rejects.toThrow(/longer than/);
  });
});
