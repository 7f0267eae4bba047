// `routelang import litellm`: a LiteLLM proxy/router configuration (YAML) → a Routelang
// policy. Each deployment of `model_list` becomes a model; each `model_name` (a model group)
// becomes a rule on the request's `model_name`; `routing_strategy` becomes a split or an
// adaptive choice; fallbacks, context-window and content-policy fallbacks become fallback
// plans (context-window ones as a rule on `prompt.tokens`, which is what they are);
// retries and timeouts become plan options; tag routing becomes conditions on `tags`.
// The YAML is read with `yaml` (anchors, aliases with a bomb limit, duplicate keys as errors,
// positions for every note). Secrets are never read: `os.environ/…` stays a reference.

import { MAX_RETRIES } from '../check/plans.js';
import { canonical, duration, type ImportNote, type ImportResult, isRecord, locator, Names, num, perMillion, readDocument, str } from './common.js';

/** Configurations over this size are refused (a diagnostic, not an out-of-memory). */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

const ROOT_KEYS = new Set([
  'model_list',
  'router_settings',
  'litellm_settings',
  'general_settings',
  'environment_variables',
  'include',
  'guardrails',
  'callback_settings',
  'mcp_servers',
  'files_settings',
  'assistant_settings',
]);
/** `general_settings` keys that hold secrets: a literal value there is a finding. */
const SECRET_SETTINGS = new Set(['master_key', 'database_url']);
const ENTRY_KEYS = new Set(['model_name', 'litellm_params', 'model_info', 'tpm', 'rpm']);
const PARAM_IMPORTED = new Set([
  'model',
  'weight',
  'rpm',
  'tpm',
  'timeout',
  'max_retries',
  'num_retries',
  'tags',
  'input_cost_per_token',
  'output_cost_per_token',
  'region_name',
  'order',
]);
const PARAM_CONNECTION =
  /^(api_base|api_key|api_version|organization|base_url|stream_timeout|max_parallel_requests|custom_llm_provider|aws_.*|vertex_.*|azure_.*|drop_params|additional_drop_params|use_in_pass_through|merge_reasoning_content_in_choices|headers|extra_headers|cache_control_injection_points|litellm_credential_name|configurable_clientside_auth_params|mock_response|seed|temperature|max_tokens|top_p)$/;
const INFO_KEYS =
  /^(max_input_tokens|max_output_tokens|max_tokens|input_cost_per_token|output_cost_per_token|id|mode|base_model|db_model|team_id|litellm_provider|supports_.*|.*_cost_per_.*)$/;
const ROUTER_IMPORTED = new Set([
  'routing_strategy',
  'fallbacks',
  'context_window_fallbacks',
  'content_policy_fallbacks',
  'default_fallbacks',
  'num_retries',
  'timeout',
  'max_fallbacks',
  'enable_tag_filtering',
]);
/** Every router setting LiteLLM documents: the imported ones, and operational ones (state, cooldowns, aliases). */
const ROUTER_KEYS = new Set([
  ...ROUTER_IMPORTED,
  'tag_filtering_match_any',
  'model_group_alias',
  'redis_host',
  'redis_port',
  'redis_password',
  'redis_url',
  'allowed_fails',
  'allowed_fails_policy',
  'cooldown_time',
  'retry_policy',
  'routing_strategy_args',
  'enable_pre_call_checks',
  'retry_after',
  'disable_cooldowns',
  'provider_budget_config',
  'optional_pre_call_checks',
]);
const LITELLM_IMPORTED = new Set([
  'num_retries',
  'request_timeout',
  'fallbacks',
  'context_window_fallbacks',
  'content_policy_fallbacks',
  'default_fallbacks',
  'max_end_user_budget',
  'budget_duration',
  'max_budget',
]);
const STRATEGIES = new Set(['simple-shuffle', 'latency-based-routing', 'cost-based-routing', 'usage-based-routing', 'usage-based-routing-v2', 'least-busy']);

interface Deployment {
  readonly name: string; // Routelang identifier
  readonly group: string; // original model_name
  readonly index: number; // in model_list
  readonly window: number;
  readonly windowAssumed: boolean;
  readonly weight: number | undefined;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly tags: readonly string[];
  readonly retries: number | undefined;
  readonly timeout: number | undefined;
  /** `litellm_params.order`: the priority within the group (1 first); undefined when not given. */
  readonly order: number | undefined;
  /** How notes name it: `gpt (deployment 2, openai/gpt-b)`. */
  readonly label: string;
}

/** What the findings step needs from the import to speak in the configuration's terms. */
export interface LiteLLMImport extends ImportResult {
  /** Per model group: the config path of its fallbacks and the cycles its chain runs into. */
  readonly groups: ReadonlyMap<
    string,
    {
      readonly rule: string;
      readonly cycles: readonly (readonly string[])[];
      readonly at: { line: number; column: number; path: string };
      /** Groups that are both its content-policy fallbacks and its fallbacks. */
      readonly bothFallbacks: readonly string[];
    }
  >;
  /** Deployment identifier → its model group and window. */
  readonly deployments: ReadonlyMap<
    string,
    { readonly group: string; readonly window: number; readonly windowAssumed: boolean; readonly at: { line: number; column: number; path: string } }
  >;
  /** Deployments LiteLLM never picks (a weight of 0 or none where the group weighs): already noted. */
  readonly unpicked: ReadonlySet<string>;
  /** Rule condition text (as the policy writes it) → model group. */
  readonly ruleGroups: ReadonlyMap<string, string>;
}

/** Imports a LiteLLM configuration. Never throws on bad input. */
export function importLiteLLM(text: string, file = 'config.yaml'): LiteLLMImport {
  const notes: ImportNote[] = [];
  const empty = (): LiteLLMImport => ({
    policy: undefined,
    notes,
    names: new Map(),
    groups: new Map(),
    deployments: new Map(),
    unpicked: new Set(),
    ruleGroups: new Map(),
  });
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    notes.push({ severity: 'error', path: '', line: 1, column: 1, message: `the configuration is over ${MAX_CONFIG_BYTES / 1024 / 1024} MB` });
    return empty();
  }
  const { doc, lines, errors } = readDocument(text, { strict: true, merge: true });
  notes.push(...errors);
  if (notes.length > 0) return empty();
  let config: unknown;
  try {
    config = doc.toJS({ maxAliasCount: 1_000 });
  } catch (error) {
    notes.push({ severity: 'error', path: '', line: 1, column: 1, message: `the YAML cannot be read: ${(error as Error).message}` });
    return empty();
  }
  const pos = locator(doc, lines, { line: 0, col: 0 });
  const note = (severity: ImportNote['severity'], path: readonly (string | number)[], message: string) => notes.push({ severity, ...pos(path), message });
  // A policy allows at most MAX_RETRIES retries per call (RL2024 beyond): more is imported as
  // the maximum, with a note (a limit of the translation, not a problem in the configuration).
  const retriesWithin = (value: number | undefined, path: readonly (string | number)[]): number | undefined => {
    if (value === undefined || value <= MAX_RETRIES) return value;
    note('note', path, `${path[path.length - 1]}: ${value} retries imported as ${MAX_RETRIES}, the most a policy allows per call`);
    return MAX_RETRIES;
  };

  if (!isRecord(config)) {
    note('error', [], 'a LiteLLM configuration is a YAML mapping with a `model_list`');
    return empty();
  }
  const modelList = config.model_list;
  if (!Array.isArray(modelList) || modelList.length === 0) {
    note('error', Array.isArray(modelList) ? ['model_list'] : [], '`model_list` must be a non-empty list of deployments');
    return empty();
  }
  for (const key of Object.keys(config)) if (!ROOT_KEYS.has(key)) note('note', [key], `unknown key \`${key}\`: not imported`);
  const router = isRecord(config.router_settings) ? config.router_settings : {};
  const settings = isRecord(config.litellm_settings) ? config.litellm_settings : {};
  for (const key of Object.keys(router)) {
    const affinity =
      key === 'optional_pre_call_checks' && Array.isArray(router[key])
        ? (router[key] as unknown[]).filter((c) => typeof c === 'string' && c.endsWith('_affinity'))
        : [];
    if (affinity.length > 0)
      note(
        'note',
        ['router_settings', key],
        `${affinity.map((c) => `\`${String(c)}\``).join(', ')} keeps a caller's later requests on the deployment that served the first; the imported splits are sticky per \`request_id\`: split by the field that names the session or key instead to keep them there`,
      );
    else if (!ROUTER_KEYS.has(key)) note('note', ['router_settings', key], `unknown key \`router_settings.${key}\`: not imported`);
    else if (!ROUTER_IMPORTED.has(key)) note('note', ['router_settings', key], `\`${key}\` is operational (state, cooldowns, aliases): not part of the policy`);
  }
  for (const key of Object.keys(settings)) {
    if (!LITELLM_IMPORTED.has(key)) note('note', ['litellm_settings', key], `\`litellm_settings.${key}\` is not a routing setting: not imported`);
  }
  // The proxy's own settings (keys, database, alerting): not routing, but a secret written in
  // them is a problem in the configuration, as a literal `api_key` is.
  const proxy = isRecord(config.general_settings) ? config.general_settings : {};
  for (const [key, value] of Object.entries(proxy)) {
    if (SECRET_SETTINGS.has(key) && typeof value === 'string' && value !== '' && !value.startsWith('os.environ/'))
      note(
        'finding',
        ['general_settings', key],
        `\`general_settings.${key}\` is written in the configuration; use \`os.environ/NAME\` (the import never copies it)`,
      );
    else note('note', ['general_settings', key], `\`general_settings.${key}\` configures the proxy, not routing: not imported`);
  }

  // ---------------------------------------------------------------- deployments
  const names = new Names();
  const groups = new Map<string, Deployment[]>();
  const declarations: string[] = [];
  const deploymentFacts = new Map<string, { group: string; window: number; windowAssumed: boolean; at: { line: number; column: number; path: string } }>();
  const unpicked = new Set<string>();
  const counts = new Map<string, number>();
  modelList.forEach((entry) => {
    if (isRecord(entry) && typeof entry.model_name === 'string') counts.set(entry.model_name, (counts.get(entry.model_name) ?? 0) + 1);
  });
  const seen = new Map<string, number>();
  const wildcards: { pattern: string; matches: (name: string) => boolean }[] = [];
  const skippedModes = new Map<string, string>();
  modelList.forEach((entry, i) => {
    const at = ['model_list', i];
    if (!isRecord(entry) || typeof entry.model_name !== 'string' || entry.model_name === '') {
      note('error', at, 'each deployment needs a `model_name`');
      return;
    }
    for (const key of Object.keys(entry)) if (!ENTRY_KEYS.has(key)) note('note', [...at, key], `unknown key \`${key}\` in a deployment: not imported`);
    const params = isRecord(entry.litellm_params) ? entry.litellm_params : undefined;
    if (!params || typeof params.model !== 'string' || params.model === '') {
      note('error', [...at, 'litellm_params'], `deployment \`${entry.model_name}\` needs \`litellm_params.model\``);
      return;
    }
    for (const key of Object.keys(params)) {
      if (!PARAM_IMPORTED.has(key) && !PARAM_CONNECTION.test(key))
        note('note', [...at, 'litellm_params', key], `unknown key \`litellm_params.${key}\`: not imported`);
    }
    const info = isRecord(entry.model_info) ? entry.model_info : {};
    for (const key of Object.keys(info)) if (!INFO_KEYS.test(key)) note('note', [...at, 'model_info', key], `unknown key \`model_info.${key}\`: not imported`);
    const group = entry.model_name;
    // A wildcard group passes the requested model name through to the provider; a Routelang
    // model has one id. Not translated, and said so (fallbacks it serves are noted, not findings).
    if (group.includes('*')) {
      wildcards.push({ pattern: group, matches: globMatcher(group) });
      note(
        'note',
        [...at, 'model_name'],
        `\`${group}\` is a wildcard: LiteLLM passes any matching model name through to \`${params.model}\`; a policy names each model it serves, so it is not imported (declare the models you route to)`,
      );
      return;
    }
    // Routelang routes chat completions: embedding, image, audio and rerank deployments are not its traffic.
    const mode = typeof info.mode === 'string' ? info.mode : 'chat';
    if (mode !== 'chat' && mode !== 'completion' && mode !== 'responses') {
      skippedModes.set(group, mode);
      note('note', [...at, 'model_info', 'mode'], `\`${group}\` has \`mode: ${mode}\`: a policy routes chat completions, so it is not imported`);
      return;
    }
    const n = (seen.get(group) ?? 0) + 1;
    seen.set(group, n);
    const name = names.id((counts.get(group) ?? 1) > 1 ? `${group}#${n}` : group);
    const label = `\`${group}\`${(counts.get(group) ?? 1) > 1 ? ` (deployment ${n}, ${params.model})` : ''}`;
    // `os.environ/NAME` is read by the proxy at start: the model is not in the file.
    const fromEnv = params.model.startsWith('os.environ/') ? params.model.slice('os.environ/'.length) : undefined;
    if (fromEnv !== undefined)
      note(
        'note',
        [...at, 'litellm_params', 'model'],
        `${label}: the model comes from the environment variable \`${fromEnv}\` at the proxy's start; imported as provider \`openai\` with id \`${fromEnv}\`: set the real provider and id`,
      );
    const slash = fromEnv === undefined ? params.model.indexOf('/') : -1;
    const provider = slash > 0 ? params.model.slice(0, slash) : 'openai';
    const id = fromEnv ?? (slash > 0 ? params.model.slice(slash + 1) : params.model);
    const inPrice = num(info.input_cost_per_token) ?? num(params.input_cost_per_token);
    const outPrice = num(info.output_cost_per_token) ?? num(params.output_cost_per_token);
    const window = num(info.max_input_tokens) ?? num(info.max_tokens);
    const maxOut = num(info.max_output_tokens);
    if (inPrice === undefined || outPrice === undefined)
      note(
        'note',
        [...at, 'model_info'],
        `${label}: no ${inPrice === undefined ? '`input_cost_per_token`' : ''}${inPrice === undefined && outPrice === undefined ? ' or ' : ''}${outPrice === undefined ? '`output_cost_per_token`' : ''} in \`model_info\`: the import prices it at $0, so cost checks cannot see it`,
      );
    if (window === undefined)
      note(
        'note',
        [...at, 'model_info'],
        `${label}: no \`max_input_tokens\` in \`model_info\`: the import assumes a 128,000-token window; context-window findings about it are guesses`,
      );
    if (typeof params.api_key === 'string' && !params.api_key.startsWith('os.environ/'))
      note(
        'finding',
        [...at, 'litellm_params', 'api_key'],
        `${label}: \`api_key\` is written in the configuration; use \`os.environ/NAME\` (the import never copies it)`,
      );
    const tags = Array.isArray(params.tags) ? params.tags.filter((t): t is string => typeof t === 'string') : [];
    if (typeof params.weight === 'string')
      note(
        'finding',
        [...at, 'litellm_params', 'weight'],
        `${label}: \`weight\` is a string (${JSON.stringify(params.weight)}): LiteLLM's simple-shuffle adds the weights with Python's sum(), which fails on a string; imported as the number`,
      );
    const timeout = num(params.timeout);
    const retryKey = num(params.max_retries) !== undefined ? 'max_retries' : 'num_retries';
    const retries = retriesWithin(num(params[retryKey]), [...at, 'litellm_params', retryKey]);
    const d: Deployment = {
      name,
      group,
      index: i,
      window: Math.round(window ?? 128_000),
      windowAssumed: window === undefined,
      weight: num(params.weight),
      rpm: num(params.rpm) ?? num(entry.rpm),
      tpm: num(params.tpm) ?? num(entry.tpm),
      tags,
      retries,
      timeout,
      order: num(params.order),
      label,
    };
    deploymentFacts.set(name, { group, window: d.window, windowAssumed: d.windowAssumed, at: pos(at) });
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)?.push(d);
    declarations.push(
      [
        `// ${group}${(counts.get(group) ?? 1) > 1 ? `, deployment ${n}` : ''} (model_list[${i}], line ${pos(at).line})`,
        `model ${name} {`,
        `  provider   = ${str(provider)}`,
        `  id         = ${str(id)}`,
        `  price      = { input: ${perMillion(inPrice ?? 0)}, output: ${perMillion(outPrice ?? 0)} }`,
        `  context    = ${d.window}`,
        ...(maxOut !== undefined ? [`  max_output = ${Math.round(maxOut)}`] : []),
        ...(typeof params.region_name === 'string' ? [`  regions    = [${names.id(params.region_name, 'region')}]`] : []),
        '}',
      ].join('\n'),
    );
  });
  if (!notes.some((n) => n.severity === 'error') && groups.size === 0)
    note('error', ['model_list'], 'no deployment can be imported: every one is a wildcard or not a chat model');
  if (notes.some((n) => n.severity === 'error') || groups.size === 0) return empty();

  // ---------------------------------------------------------------- settings
  const retries = retriesWithin(
    num(router.num_retries) ?? num(settings.num_retries),
    num(router.num_retries) !== undefined ? ['router_settings', 'num_retries'] : ['litellm_settings', 'num_retries'],
  );
  const timeout = num(router.timeout) ?? num(settings.request_timeout);
  const maxFallbacks = Math.min(10, Math.max(1, Math.round(num(router.max_fallbacks) ?? 5)));
  const strategy = typeof router.routing_strategy === 'string' ? router.routing_strategy : 'simple-shuffle';
  if (!STRATEGIES.has(strategy))
    note('finding', ['router_settings', 'routing_strategy'], `unknown routing_strategy \`${strategy}\`: imported as simple-shuffle`);
  const tagFiltering = router.enable_tag_filtering === true;
  const groupNames = [...groups.keys()];
  const member = (group: string) => names.id(group, 'member');

  const readFallbacks = (where: 'router_settings' | 'litellm_settings', key: string): Map<string, { targets: string[]; path: (string | number)[] }> => {
    const out = new Map<string, { targets: string[]; path: (string | number)[] }>();
    const raw = (where === 'router_settings' ? router : settings)[key];
    if (raw === undefined) return out;
    if (!Array.isArray(raw)) {
      note('finding', [where, key], `\`${key}\` must be a list of {model_name: [fallbacks]} mappings: not imported`);
      return out;
    }
    raw.forEach((item, i) => {
      if (!isRecord(item)) {
        note('finding', [where, key, i], `\`${key}[${i}]\` is not a {model_name: [fallbacks]} mapping: not imported`);
        return;
      }
      for (const [from, to] of Object.entries(item)) {
        const targets = (Array.isArray(to) ? to : [to]).filter((t): t is string => typeof t === 'string');
        const path = [where, key, i, from];
        if (!groups.has(from) && from !== '*') {
          if (wildcards.some((w) => w.pattern === from || w.matches(from)) || skippedModes.has(from))
            note('note', path, `${key}: \`${from}\` is not imported (a wildcard or not a chat model): its fallbacks are left out`);
          else note('finding', path, `${key}: \`${from}\` is not a model_name of model_list: its fallbacks never apply`);
        }
        const known = targets.filter((t) => {
          if (groups.has(t)) return true;
          const wildcard = wildcards.find((w) => w.matches(t));
          if (skippedModes.has(t))
            note('note', path, `${key}: the fallback \`${t}\` of \`${from}\` has \`mode: ${skippedModes.get(t)}\`, not imported: left out`);
          else if (wildcard)
            note(
              'note',
              path,
              `${key}: the fallback \`${t}\` of \`${from}\` is served by the wildcard \`${wildcard.pattern}\`, which is not imported: left out`,
            );
          else note('finding', path, `${key}: the fallback \`${t}\` of \`${from}\` is not a model_name of model_list: LiteLLM fails the request there`);
          return false;
        });
        out.set(from, { targets: known, path });
      }
    });
    return out;
  };
  const general = new Map([...readFallbacks('litellm_settings', 'fallbacks'), ...readFallbacks('router_settings', 'fallbacks')]);
  const context = new Map([...readFallbacks('litellm_settings', 'context_window_fallbacks'), ...readFallbacks('router_settings', 'context_window_fallbacks')]);
  const content = new Map([...readFallbacks('litellm_settings', 'content_policy_fallbacks'), ...readFallbacks('router_settings', 'content_policy_fallbacks')]);
  const defaults = (
    Array.isArray(router.default_fallbacks) ? router.default_fallbacks : Array.isArray(settings.default_fallbacks) ? settings.default_fallbacks : []
  ).filter((t): t is string => typeof t === 'string' && groups.has(t));
  const fallbacksOf = (group: string): string[] => general.get(group)?.targets ?? general.get('*')?.targets ?? defaults.filter((d) => d !== group);

  // ---------------------------------------------------------------- plans
  const ref = (d: Deployment): string => {
    const r = d.retries ?? retries;
    const t = d.timeout ?? timeout;
    const options = [...(t !== undefined && t > 0 ? [`timeout: ${duration(t)}`] : []), ...(r !== undefined && r > 0 ? [`retries: ${Math.round(r)}`] : [])];
    return options.length > 0 ? `${d.name} with { ${options.join(', ')} }` : d.name;
  };
  let strategyNoted = false;
  const pool = (members: readonly Deployment[]): string => {
    if (members.length === 1) return ref(members[0] as Deployment);
    const refs = members.map(ref);
    if (strategy === 'latency-based-routing' || strategy === 'least-busy') {
      if (strategy === 'least-busy' && !strategyNoted) {
        strategyNoted = true;
        note(
          'note',
          ['router_settings', 'routing_strategy'],
          `least-busy picks the deployment with the fewest requests in flight; imported as \`fastest\` (lowest observed latency), the closest choice Routelang has`,
        );
      }
      return `fastest [${refs.join(', ')}]`;
    }
    if (strategy === 'cost-based-routing') return `cheapest [${refs.join(', ')}]`;
    const usage = strategy.startsWith('usage-based');
    // LiteLLM's simple_shuffle (router_strategy/simple_shuffle.py) weighs by what the group's
    // FIRST deployment sets — `weight`, else `rpm`, else `tpm`, else an even pick — and gives
    // every deployment without it 0: a deployment LiteLLM never picks stays out of the split.
    const head = members[0] as Deployment;
    const key = usage ? undefined : head.weight !== undefined ? 'weight' : head.rpm !== undefined ? 'rpm' : head.tpm !== undefined ? 'tpm' : undefined;
    const all = members.map((d) => (usage ? (d.tpm ?? d.rpm ?? 1) : key ? (d[key] ?? 0) : 1));
    const never = members.filter((_, i) => all[i] === 0);
    if (never.length > 0 && never.length < members.length)
      for (const d of never.filter((d) => !unpicked.has(d.name))) {
        unpicked.add(d.name);
        note(
          'note',
          ['model_list', d.index, 'litellm_params'],
          `${d.label}: never picked: simple-shuffle weighs by \`${key}\` (the group's first deployment sets it) and this one has ${key} 0 or none; left out of the split`,
        );
      }
    const none = never.length === members.length;
    if (none && !unpicked.has(head.name)) {
      unpicked.add(head.name);
      note(
        'finding',
        ['model_list', head.index, 'litellm_params'],
        `\`${head.group}\`: every deployment's ${key} is 0, so simple-shuffle has nothing to pick (random.choices fails on a zero total); imported as an even split`,
      );
    }
    const live = none ? members : members.filter((_, i) => (all[i] as number) > 0);
    const weights = none ? members.map(() => 1) : all.filter((w) => w > 0);
    if (live.length === 1) return ref(live[0] as Deployment);
    const liveRefs = live.map(ref);
    if (!strategyNoted) {
      strategyNoted = true;
      note(
        'note',
        strategy === 'simple-shuffle' && router.routing_strategy === undefined ? ['model_list'] : ['router_settings', 'routing_strategy'],
        usage
          ? `${strategy} balances live TPM/RPM use; imported as a static split by each deployment's tpm/rpm, sticky per \`request_id\``
          : 'simple-shuffle picks a deployment at random per request (by weight, else rpm/tpm); imported as a split sticky per `request_id`: send a unique id per request for the same spread',
      );
    }
    return `split by request_id { ${percentages(weights)
      .map((p, i) => `${liveRefs[i]}: ${p}%`)
      .join(', ')} }`;
  };
  // `order` (LiteLLM's deployment priority): a group's lowest order serves, the next order only
  // when those are unavailable — a fallback from tier to tier. Deployments without an order
  // come last (LiteLLM serves them only when no ordered deployment is left).
  const orderNoted = new Set<string>();
  const tiered = (group: string, members: readonly Deployment[]): string => {
    if (!members.some((d) => d.order !== undefined)) return pool(members);
    const orders = [...new Set(members.map((d) => d.order ?? Number.POSITIVE_INFINITY))].sort((a, b) => a - b);
    if (!orderNoted.has(group)) {
      orderNoted.add(group);
      const first = members.find((d) => d.order !== undefined) as Deployment;
      note(
        'note',
        ['model_list', first.index, 'litellm_params', 'order'],
        `\`${group}\`: \`order\` imported as priority tiers (${orders.map((o) => (Number.isFinite(o) ? `order ${o}` : 'no order')).join(', then ')}), each falling back to the next${orders.some((o) => !Number.isFinite(o)) ? '; deployments without an order come last' : ''}`,
      );
    }
    return orders.map((o) => paren(pool(members.filter((d) => (d.order ?? Number.POSITIVE_INFINITY) === o)))).join(' fallback ');
  };
  const groupPlan = (group: string): string => tiered(group, groups.get(group) ?? []);
  // With tag filtering, LiteLLM sends an untagged request (a fallback's too) only to a group's
  // deployments tagged `default`, when it has some.
  const untaggedPlan = (group: string): string => {
    const members = groups.get(group) ?? [];
    const defaults = tagFiltering ? members.filter((d) => d.tags.includes('default')) : [];
    return defaults.length > 0 && defaults.length < members.length ? tiered(group, defaults) : groupPlan(group);
  };
  // `with` binds tighter than `fallback`; only a fallback chain inside another needs brackets.
  const paren = (plan: string): string => (/ fallback | on \[/.test(plan) ? `(${plan})` : plan);

  const cyclesOf = new Map<string, string[][]>();
  const chain = (
    group: string,
    path: string[],
    depth: number,
    root: string,
    budget: { left: number },
    base = groupPlan(group),
    planOf: (g: string) => string = groupPlan,
  ): string => {
    const parts = [base];
    if (depth < maxFallbacks) {
      for (const fb of fallbacksOf(group)) {
        if (budget.left-- <= 0) break;
        if (path.includes(fb)) {
          cyclesOf.get(root)?.push([...path, fb]);
          parts.push(planOf(fb));
          continue;
        }
        parts.push(chain(fb, [...path, fb], depth + 1, root, budget, planOf(fb), planOf));
      }
    }
    return parts.map((p, i) => (i === 0 ? p : paren(p))).join(' fallback ');
  };

  // ---------------------------------------------------------------- the route
  const rules: string[] = [];
  const ruleGroups = new Map<string, string>();
  const groupInfo = new Map<string, { rule: string; cycles: string[][]; at: { line: number; column: number; path: string }; bothFallbacks: string[] }>();
  const tagsUsed = tagFiltering && [...groups.values()].some((ds) => ds.some((d) => d.tags.length > 0));
  if (!tagFiltering && [...groups.values()].some((ds) => ds.some((d) => d.tags.length > 0)))
    note(
      'note',
      ['model_list'],
      'deployments have `tags` but `router_settings.enable_tag_filtering` is not true: LiteLLM ignores them, and so does the import',
    );
  groupNames.forEach((group, gi) => {
    cyclesOf.set(group, []);
    const members = groups.get(group) ?? [];
    const cond = `model_name == ${member(group)}`;
    const last = gi === groupNames.length - 1;
    const cw = context.get(group)?.targets ?? [];
    if (cw.length > 0) {
      const window = Math.min(...members.map((d) => d.window));
      const plan = cw.map((g) => paren(groupPlan(g))).join(' fallback ');
      rules.push(`  when ${cond} and prompt.tokens > ${window} -> ${plan} because ${str(`context_window_fallbacks of ${group}`)}`);
      ruleGroups.set(`${cond} and prompt.tokens > ${window}`, group);
    }
    const untagged = untaggedPlan(group);
    const defaults = members.filter((d) => d.tags.includes('default'));
    if (untagged !== groupPlan(group))
      note(
        'note',
        ['model_list', defaults[0]?.index ?? 0, 'litellm_params', 'tags'],
        `\`${group}\`: untagged requests go only to its \`default\`-tagged deployment${defaults.length === 1 ? '' : 's'}, as in LiteLLM; so do requests whose tags match none of the group's (LiteLLM may refuse those instead)`,
      );
    let main = chain(group, [group], 0, group, { left: 64 }, untagged, untaggedPlan);
    const cp = content.get(group)?.targets ?? [];
    if (cp.length > 0) {
      const [base, ...rest] = [untagged, ...fallbacksOf(group).map((fb) => paren(untaggedPlan(fb)))];
      main = `(${paren(base as string)} fallback ${cp.map((g) => paren(untaggedPlan(g))).join(' fallback ')} on [refusal])${rest.length > 0 ? ` fallback ${rest.join(' fallback ')}` : ''}`;
    }
    if (tagsUsed) {
      const tags = [...new Set(members.flatMap((d) => d.tags))].filter((t) => t !== 'default');
      for (const tag of tags) {
        const tagged = members.filter((d) => d.tags.includes(tag));
        rules.push(`  when ${cond} and ${str(tag)} in tags -> ${chain(group, [group], 0, group, { left: 64 }, tiered(group, tagged))}`);
        ruleGroups.set(`${cond} and ${str(tag)} in tags`, group);
      }
    }
    rules.push(last ? `  otherwise -> ${main}` : `  when ${cond} -> ${main}`);
    ruleGroups.set(last ? 'otherwise' : cond, group);
    const fbPath = general.get(group)?.path ?? ['model_list', members[0]?.index ?? 0];
    groupInfo.set(group, {
      rule: last ? 'otherwise' : cond,
      cycles: cyclesOf.get(group) ?? [],
      at: pos(fbPath),
      bothFallbacks: cp.filter((g) => fallbacksOf(group).includes(g)),
    });
  });

  // ---------------------------------------------------------------- budget
  const budget: string[] = [];
  const userBudget = num(settings.max_end_user_budget);
  const period = typeof settings.budget_duration === 'string' ? settings.budget_duration.trim() : undefined;
  let tenantField = false;
  if (userBudget !== undefined) {
    const per = period === undefined || /^(1d|24h|1 day)$/.test(period) ? 'day' : /^(1h|60m)$/.test(period) ? 'hour' : undefined;
    if (per) {
      budget.push(`  per_tenant <= $${userBudget} per ${per}`);
      tenantField = true;
      note(
        'note',
        ['litellm_settings', 'max_end_user_budget'],
        `max_end_user_budget: imported as a per-tenant budget per ${per}; the host passes the request's \`user\` as \`tenant\``,
      );
    }
    // A limit of the translation, not a problem in the configuration: a note, and exit 0.
    else
      note(
        'note',
        ['litellm_settings', 'budget_duration'],
        `budget_duration \`${period}\` has no Routelang equivalent (budgets reset per day or per hour): the end-user budget is not imported; enforce it in the proxy, or choose a daily budget`,
      );
  }
  if (settings.max_budget !== undefined)
    note('note', ['litellm_settings', 'max_budget'], 'max_budget caps the whole proxy, not a request or a tenant: not part of the policy');

  const inputs = [
    '  prompt:     text',
    `  model_name: enum { ${groupNames.map(member).join(', ')} }`,
    ...(tagsUsed ? ['  tags:       list<string> = []'] : []),
    ...(/split by request_id/.test(rules.join('\n')) ? ['  request_id: string = ""'] : []),
    ...(tenantField ? ['  tenant:     string = ""'] : []),
  ];
  const policy = canonical(
    [
      `// Imported from ${file} by \`routelang import litellm\`.`,
      "// The request's `model` is `model_name`" + (tagsUsed ? '; its metadata tags are `tags`' : '') + '.',
      'policy litellm_import',
      '',
      declarations.join('\n\n'),
      '',
      'input {',
      ...inputs,
      '}',
      '',
      'route {',
      ...rules,
      '}',
      ...(budget.length > 0 ? ['', 'budget {', ...budget, '}'] : []),
      '',
    ].join('\n'),
    file,
  );
  return { policy, notes, names: names.originals(), groups: groupInfo, deployments: deploymentFacts, unpicked, ruleGroups };
}

/** A LiteLLM wildcard model_name (`*`, `anthropic/*`, `fo::*:static::*`) as a matcher: `*` is any run of characters. */
function globMatcher(pattern: string): (name: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (name) => re.test(name);
}

/** Integer percentages proportional to `weights`, summing to 100, none below 1. */
export function percentages(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0) || 1;
  const raw = weights.map((w) => (w / total) * 100);
  const out = raw.map((r) => Math.max(1, Math.floor(r)));
  let left = 100 - out.reduce((s, p) => s + p, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) {
    const i = order[k]?.[1] ?? 0;
    out[i] = (out[i] ?? 0) + 1;
  }
  while (left < 0) {
    const i = out.indexOf(Math.max(...out));
    out[i] = (out[i] ?? 1) - 1;
    left++;
  }
  return out;
}
