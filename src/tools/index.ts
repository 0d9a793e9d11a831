/** Every tool, in the order clients list them. Toolset selection and read-only filtering happen in server.ts. */
import type { ToolDefinition } from '../mcp/tool.js';
import { accountTools } from './accounts.js';
import { publishingTools } from './publishing.js';
import { readingTools } from './reading.js';

export const allTools: ToolDefinition[] = [...accountTools, ...publishingTools, ...readingTools] as unknown as ToolDefinition[];
