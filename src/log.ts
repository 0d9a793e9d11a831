/**
 * Structured logging to stderr (never stdout: in stdio mode stdout is the MCP channel), with every
 * secret redacted before a line is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const knownSecrets = new Set<string>();

/** Registers a secret value (a token, an app secret) so it is masked wherever it shows up. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 8) knownSecrets.add(value);
}

const SECRET_KEY = /(^|_)(access_?token|token|secret|password|code_verifier|authorization|client_secret|fb_exchange_token|input_token|encryption_key|key)$/i;
const TOKEN_SHAPED = /\b(?:IGAA|IGQV|EAA)[A-Za-z0-9_\-]{10,}/g;
const SECRET_PARAMS = /((?:access_token|client_secret|fb_exchange_token|input_token|code_verifier)=)[^&\s"']+/gi;
const AUTH_HEADER_VALUES = /(\b(?:Bearer|OAuth)\s+)[A-Za-z0-9._\-|]{8,}/g;

/** Masks known secrets and token-shaped substrings in a string. */
export function redactString(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  }
  return out
    .replace(TOKEN_SHAPED, '[REDACTED]')
    .replace(SECRET_PARAMS, '$1[REDACTED]')
    .replace(AUTH_HEADER_VALUES, '$1[REDACTED]');
}

/** Deep copy of a value with secret-named keys and token-shaped strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[…]';
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message) };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      out[key] = SECRET_KEY.test(key) && inner != null && inner !== '' ? '[REDACTED]' : redact(inner, depth + 1);
    }
    return out;
  }
  return value;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr unless a test captures them. */
  write?: (line: string) => void;
  fields?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = options.fields ?? {};
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < threshold) return;
    const record = { time: new Date().toISOString(), level, msg: redactString(message), ...(redact({ ...base, ...fields }) as object) };
    write(`${JSON.stringify(record)}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (library defaults, quiet tests). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** A logger that also hands every line it writes to `forward` (e.g. as MCP log notifications). */
export function withForwarding(base: Logger, forward: (level: LogLevel, message: string, fields?: Record<string, unknown>) => void): Logger {
  const wrap = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    base[level](message, fields);
    forward(level, message, fields);
  };
  return {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (fields) => withForwarding(base.child(fields), (level, message, more) => forward(level, message, { ...fields, ...more })),
  };
}
