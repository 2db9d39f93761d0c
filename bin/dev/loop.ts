// The local loop of `npm run dev`: on every saved change, the SDL check of the developer's
// subgraph against the others and the committed supergraph; then, if the working tree
// composes, the subgraphs restarted from it (a child process, so edited modules load afresh)
// and the local gateway restarted on the new supergraph and the current policy. What became
// of the change is printed and shown on the GraphiQL page; a change that does not compose
// leaves the previous version served.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadPolicy } from '../../lib/access/policy.ts';
import type { CredentialKeys } from '../../lib/auth/subgraph-credential.ts';
import type { Config } from '../../lib/config.ts';
import type { HttpService } from '../../lib/http-server.ts';
import { loadCatalogue } from '../../lib/schema/catalogue.ts';
import { checkSubgraphSdl, formatReport, type SdlCheckReport } from '../../lib/schema/sdl-check.ts';
import { subgraphSchemaPath } from '../../lib/schema/subgraph-sdl.ts';
import type { DevStatus } from '../../gateway/graphiql/index.ts';
import { openConsentFormStore } from '../../lib/consent-forms/open.ts';
import { startGateway } from '../../gateway/server.ts';

const CHILD = fileURLToPath(new URL('./subgraphs.ts', import.meta.url));
/** Lines of the subgraphs' stderr kept to explain a failed start. */
const STDERR_LINES = 20;

export interface DevLoopOptions {
  subgraph: string;
  config: Config;
  /** The gateway's key pair; the child gets the public half's file in its environment. */
  credentialKeys: CredentialKeys;
  childEnv: NodeJS.ProcessEnv;
  print?: (line: string) => void;
}

export class DevLoop {
  private child: ChildProcess | undefined;
  private gateway: HttpService | undefined;
  private status: DevStatus = { state: 'starting', summary: 'starting', details: [], at: new Date().toISOString() };
  private running: Promise<void> = Promise.resolve();
  private pending = false;
  private readonly print: (line: string) => void;

  constructor(private readonly opts: DevLoopOptions) {
    this.print = opts.print ?? ((line) => console.log(line));
  }

  get gatewayUrl(): string | undefined {
    return this.gateway?.url;
  }

  /** The first cycle. */
  start(): Promise<void> {
    return this.changed('start');
  }

  /** A saved change: one cycle now, or one more after the cycle under way (changes in between coalesce). */
  changed(what: string): Promise<void> {
    if (this.pending) return this.running;
    this.pending = true;
    this.running = this.running.then(async () => {
      this.pending = false;
      await this.cycle(what);
    });
    return this.running;
  }

  async stop(): Promise<void> {
    await this.running.catch(() => {});
    await this.gateway?.close();
    await this.stopChild();
  }

  private setStatus(state: DevStatus['state'], summary: string, details: string[]): void {
    this.status = { state, summary, details, at: new Date().toISOString() };
    this.print(`${state === 'failed' ? 'NOT SERVED' : state === 'warning' ? 'served, with warnings' : 'served'}: ${summary}`);
  }

  private async cycle(what: string): Promise<void> {
    const { subgraph } = this.opts;
    if (what !== 'start') this.print(`\nchange: ${what}; checking ${subgraph}`);
    let report: SdlCheckReport;
    try {
      report = checkSubgraphSdl(subgraph, subgraphSchemaPath(subgraph));
    } catch (e) {
      report = { subgraph, compositionErrors: [(e as Error).message], breaking: [], dangerous: [], categoryChanges: [], categoryProblems: [], ok: false };
    }
    const text = formatReport(report);
    this.print(text);
    const details = text.split('\n').slice(1);
    const fatal = report.compositionErrors.length > 0 || report.categoryProblems.length > 0;
    if (fatal && this.gateway) {
      this.setStatus('failed', `${subgraph}'s SDL ${report.compositionErrors.length ? 'does not compose' : 'has category problems'}: the previous version is still served`, details);
      return;
    }
    // The first start serves the committed supergraph when the working tree does not compose.
    const supergraphSdl = fatal ? undefined : report.supergraphSdl;
    await this.stopChild();
    const started = await this.startChild();
    if (started !== true) {
      this.setStatus('failed', `the subgraphs did not start (fix and save again): ${started.split('\n').at(-1) ?? ''}`, started.split('\n'));
      return;
    }
    try {
      const policy = loadPolicy(loadCatalogue(), this.opts.config.policyFile);
      await this.gateway?.close();
      this.gateway = await startGateway({
        config: this.opts.config,
        policy,
        credentialKeys: this.opts.credentialKeys,
        // The development directory store, shared on disk with the subgraphs' process.
        ...(this.opts.config.consentForms.store === 'directory' ? { forms: openConsentFormStore(this.opts.config, undefined) } : {}),
        ...(supergraphSdl ? { supergraphSdl } : {}),
        devStatus: () => this.status,
      });
    } catch (e) {
      this.gateway = undefined;
      this.setStatus('failed', `the local gateway did not start: ${(e as Error).message.split('\n')[0]}`, (e as Error).message.split('\n'));
      return;
    }
    if (fatal) this.setStatus('failed', `${subgraph}'s SDL does not compose: the committed supergraph is served`, details);
    else if (report.breaking.length || report.dangerous.length || report.categoryChanges.length) {
      const parts = [
        report.breaking.length ? `${report.breaking.length} breaking change(s) for clients` : '',
        report.categoryChanges.length ? `${report.categoryChanges.length} category change(s) for DPO review` : '',
        report.dangerous.length ? `${report.dangerous.length} dangerous change(s)` : '',
      ].filter(Boolean);
      this.setStatus('warning', `${subgraph} from the working tree, with ${parts.join(', ')}`, details);
    } else this.setStatus('served', `${subgraph} from the working tree, no change against schema/supergraph.graphql`, []);
    this.print(`  gateway ${this.gateway.url}/graphql, GraphiQL ${this.gateway.url}/graphiql`);
  }

  /** true once the child serves; else what it printed on stderr before it exited. */
  private startChild(): Promise<true | string> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: this.opts.childEnv, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.child = child;
    const tail: string[] = [];
    child.stderr!.on('data', (d: Buffer) => {
      process.stderr.write(d);
      tail.push(...d.toString().split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - STDERR_LINES));
    });
    return new Promise((resolve) => {
      child.once('message', () => resolve(true));
      child.once('exit', (code) => {
        if (this.child === child) this.child = undefined;
        resolve(tail.join('\n') || `exited with code ${code}`);
      });
    });
  }

  private stopChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return new Promise((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
