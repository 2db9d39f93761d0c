// Structured logs (pino, one JSON line per event) for every service. What is logged is
// operational only: request ids, services, categories, codes, durations, counts. Never an
// AVS number, a name, a value from a registry, a token or a variable: the logs of a run are
// checked for the scenario persons' data by a test.
import pino, { type DestinationStream, type Logger } from 'pino';

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const level = (): string => {
  const wanted = process.env.LOG_LEVEL ?? 'info';
  return LEVELS.has(wanted) ? wanted : 'info';
};

const create = (destination?: DestinationStream): Logger =>
  pino({ level: level(), base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);

/** The process's logger; services log through children: `log.child({ service: 'gateway' })`. */
export let log: Logger = create();

/** Sends every later log line to `destination` (tests capture a run's logs this way). */
export function logTo(destination: DestinationStream, levelName = level()): void {
  log = create(destination);
  log.level = levelName;
}

/** The configured level (the configuration file's logLevel, or LOG_LEVEL), once the configuration is read. */
export function setLogLevel(levelName: string): void {
  if (LEVELS.has(levelName)) log.level = levelName;
}

/** An error for a log line: its kind and message, never the values it may carry. */
export const errorFields = (e: unknown) =>
  e instanceof Error ? { err: { type: e.name, message: e.message, ...(e.stack ? { stack: e.stack.split('\n').slice(0, 6).join('\n') } : {}) } } : { err: { type: typeof e } };
