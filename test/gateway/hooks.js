// Host code for serving examples/support-assistant with `routelang serve --hooks`: its
// knowledge-base tool (answers password questions) and its `quality_score` validator.
export const tools = {
  kb: async ({ prompt }) => (/password/i.test(prompt) ? { text: 'Reset it at https://example.com/reset.' } : null),
};

export const validators = {
  quality_score: (answer) => (answer.trim().length > 0 ? 0.9 : 0),
};
