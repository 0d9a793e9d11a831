/** The account a post publishes to, and Graph calls made for it (with a fresh token; 190 marks it for re-auth). */
import { AppError } from '../../errors.js';
import type { AccountAuth } from '../../instagram/account.js';
import type { AccountRecord, PostRecord, Store } from '../../store/index.js';
import type { AccountService } from '../accounts.js';

export type PostCall = <T>(post: PostRecord, fn: (auth: AccountAuth) => Promise<T>) => Promise<T>;

export async function postAccountOf(store: Store, accounts: AccountService, post: PostRecord): Promise<AccountRecord> {
  const account = await store.accounts.get(post.owner, post.accountId);
  if (!account || account.status === 'disconnected' || !account.accessToken) {
    throw new AppError('account_disconnected', 'The account of this post was disconnected.', 'Connect it again with instagram_authenticate, then create the post again.');
  }
  if (account.status === 'needs_reauth') {
    throw new AppError('needs_reauth', `@${account.username} needs to be re-authenticated.`, accounts.reauthHint(account));
  }
  return account;
}

export function callForPost(store: Store, accounts: AccountService): PostCall {
  return async (post, fn) => accounts.call({ owner: post.owner, agent: post.settings.agent ?? 'publisher' }, await postAccountOf(store, accounts, post), fn);
}
