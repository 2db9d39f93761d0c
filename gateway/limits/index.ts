// The gateway's operation limits, one rule per file, all configurable (lib/config.ts).
// Tokens are limited by the parser itself (Apollo's parseOptions.maxTokens), the body size by
// the HTTP layer, batched HTTP requests are refused (Apollo's default, kept).
import type { Config } from '../../lib/config.ts';
import { maxAliasesRule } from './max-aliases.ts';
import { maxCostPlugin } from './max-cost.ts';
import { maxDepthRule } from './max-depth.ts';
import { singleOperationRule } from './single-operation.ts';

export function operationLimits(limits: Config['limits']) {
  return {
    validationRules: [maxDepthRule(limits.maxDepth), maxAliasesRule(limits.maxAliases), singleOperationRule()],
    plugins: [maxCostPlugin(limits.maxCost)],
    parseOptions: { maxTokens: limits.maxTokens },
  };
}
