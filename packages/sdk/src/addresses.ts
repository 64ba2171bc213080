/**
 * The License Manager's addresses: one, or those of its replicas (LMs sharing one database and one identity, so a
 * lease taken at one is renewed at another). A client per address; a round asks the one that answered last first
 * and moves on to the next while one is silent, so a dead replica costs one timeout once, not every round.
 */
import { LmClient } from './lm-client.js';
import type { CheckedWatchOptions } from './options.js';

export class LmAddresses {
  private readonly clients: LmClient[];
  private current = 0;

  constructor(options: Pick<CheckedWatchOptions, 'urls' | 'timeoutMs' | 'secret' | 'ca'>) {
    this.clients = options.urls.map((url) => new LmClient({ url, timeoutMs: options.timeoutMs, secret: options.secret, ca: options.ca }));
  }

  /** Every client once, the one in use first, then the following ones round the list (the order given). */
  inOrder(): LmClient[] {
    return this.clients.map((_, i) => this.clients[(this.current + i) % this.clients.length]!);
  }

  /** The client of this address (it is one of the list: addresses come from it). */
  at(url: string): LmClient {
    return this.clients.find((client) => client.url === url) ?? this.clients[this.current]!;
  }

  /** Makes this client the first one asked from now on. */
  use(client: LmClient): void {
    const index = this.clients.indexOf(client);
    if (index >= 0) this.current = index;
  }

  /** "http://a:9119", or "http://a:9119 or http://b:9119" for replicas: for sentences. */
  describe(): string {
    return this.clients.map((client) => client.url).join(' or ');
  }

  get many(): boolean {
    return this.clients.length > 1;
  }

  close(): void {
    for (const client of this.clients) client.close();
  }
}
