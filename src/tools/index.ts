/** Every tool, in the order clients list them. Toolset selection and read-only filtering happen in server.ts. */
import type { ToolDefinition } from '../mcp/tool.js';
import { accountTools } from './accounts.js';
import { analyticsTools } from './analytics.js';
import { calendarTools } from './calendar.js';
import { commentTools } from './comments.js';
import { commentingTools } from './commenting.js';
import { discoveryTools } from './discovery.js';
import { insightTools } from './insights.js';
import { limitTools } from './limits.js';
import { postTools } from './posts.js';
import { publishingTools } from './publishing.js';
import { schedulingTools } from './scheduling.js';

export const allTools: ToolDefinition[] = [
  ...accountTools,
  ...publishingTools,
  ...calendarTools,
  ...postTools,
  ...insightTools,
  ...analyticsTools,
  ...schedulingTools,
  ...commentTools,
  ...commentingTools,
  ...discoveryTools,
  ...limitTools,
] as unknown as ToolDefinition[];
