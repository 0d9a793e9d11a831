/**
 * What every reading service shares: the account a call acts on, and the Graph call made with that
 * account's fresh token (re-auth marking included, through the account service).
 */
import type { Clock } from '../../clock.js';
import type { AccountAuth } from '../../instagram/account.js';
import type { GraphHttp } from '../../instagram/http.js';
import type { AccountRecord, Store } from '../../store/index.js';
import type { AccountService, Caller, ConnectedAccount } from '../accounts.js';

export interface ReadingOptions {
  clock: Clock;
  store: Store;
  graph: GraphHttp;
  accounts: AccountService;
  /** IANA zone for times when a call names none (INSTAGRAM_MCP_TIME_ZONE); default UTC. */
  timeZone?: string;
  /** The data directory (performance reports write their charts under it). */
  dataDir: string;
}

/** An account as reading results name it. */
export interface AccountRef {
  id: string;
  username: string;
}

/** Only who is asking travels on: a tool context passed as caller carries more than that. */
export function callerOf(who: Caller): Caller {
  return { owner: who.owner, agent: who.agent };
}

export class GraphCalls {
  constructor(
    private readonly accounts: AccountService,
    readonly graph: GraphHttp,
  ) {}

  /** The account a tool acts on: by id or @username, or the only enabled one. */
  async resolve(who: Caller, accountArg?: string): Promise<AccountRecord> {
    return this.accounts.resolve(callerOf(who), accountArg);
  }

  call<T>(who: Caller, account: AccountRecord, fn: (auth: AccountAuth) => Promise<T>): Promise<T> {
    return this.accounts.call(callerOf(who), account, fn);
  }

  /** The owner's accounts this agent may use, with their per-agent toggle. */
  async list(who: Caller): Promise<Array<{ account: AccountRecord; enabled: boolean }>> {
    return this.accounts.list(callerOf(who));
  }

  view(account: AccountRecord, enabled: boolean): ConnectedAccount {
    return this.accounts.view(account, enabled);
  }

  /** The accounts this agent may use that can call Instagram now. */
  async connected(who: Caller): Promise<AccountRecord[]> {
    return (await this.list(who))
      .map((a) => a.account)
      .filter((a) => a.status === 'active' && a.accessToken);
  }
}

export function accountRef(account: AccountRecord): AccountRef {
  return { id: account.id, username: account.username };
}
