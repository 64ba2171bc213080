/** Home for a customer: the LICENSES LIST, one card per license (nodes, limits and features), newest first, with VIEW DETAILS and RENEW. */
import { useEffect, useState } from 'react';
import { api, messageOf } from '../api';
import type { LicenseCard, LicenseCardPage } from '../api';
import { StatusBadge } from '../components/license-bits';
import { ErrorNotice, Loading, PageTitle } from '../components/page';
import { RenewButton } from '../components/renew';
import { day, fromNow, modeLabel } from '../format';
import { Link } from '../router';

const PAGE_SIZE = 24;

function fetchCards(cursor: string | null): Promise<LicenseCardPage> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) });
  return api<LicenseCardPage>('GET', `/v1/licenses?${query}`);
}

export function LicensesPage() {
  const [cards, setCards] = useState<LicenseCard[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    fetchCards(null).then(
      (page) => {
        if (!current) return;
        setCards(page.items);
        setNext(page.nextCursor);
      },
      (failure: unknown) => current && setError(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const more = async () => {
    if (cards === null) {
      setError(null);
      return setAttempt((n) => n + 1);
    }
    setBusy(true);
    setError(null);
    try {
      const page = await fetchCards(next);
      setCards([...cards, ...page.items]);
      setNext(page.nextCursor);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const unbound = cards?.filter((card) => card.lmid === null && (card.status === 'active' || card.status === 'expiring')) ?? [];
  return (
    <section>
      <PageTitle title="Licenses" />
      {cards === null && !error ? <Loading what="your licenses" /> : null}
      {unbound.length > 0 ? (
        <div className="callout" role="note">
          <p>
            {unbound.length === 1
              ? `Your ${unbound[0]!.product.name} license is not bound to a License Manager yet.`
              : `${unbound.length} licenses are not bound to a License Manager yet.`}{' '}
            Binding takes a few minutes: install the License Manager, enter its LMID, and copy the key.
          </p>
          <Link className="button" to={`/licenses/${unbound[0]!.id}/bind`}>
            Bind {unbound[0]!.product.name}
          </Link>
        </div>
      ) : null}
      {cards?.length === 0 ? <p className="empty">No licenses yet. When your company buys a product, its license appears here.</p> : null}
      {cards && cards.length > 0 ? (
        <ul className="cards" aria-label="Your licenses">
          {cards.map((card) => (
            <li key={card.id}>
              <Card card={card} />
            </li>
          ))}
        </ul>
      ) : null}
      <ErrorNotice message={error} />
      {next || (error && cards === null) ? (
        <button type="button" className="secondary" disabled={busy} onClick={() => void more()}>
          {cards === null ? 'Try again' : 'Show more licenses'}
        </button>
      ) : null}
    </section>
  );
}

function Card({ card }: { card: LicenseCard }) {
  const headingId = `card-${card.id}`;
  return (
    <article className="card" aria-labelledby={headingId}>
      <header className="card-head">
        <h2 id={headingId}>{card.product.name}</h2>
        <StatusBadge status={card.status} />
        {/* A license no License Manager holds yet serves no node: the card says so at its head, not only in its facts. */}
        {card.lmid === null && card.status !== 'ended' ? <span className="badge badge-unbound">Not bound</span> : null}
      </header>
      <dl className="facts">
        <dt>LMID</dt>
        <dd className={card.lmid ? 'mono' : 'muted'}>{card.lmid ?? 'not bound'}</dd>
        <dt>Expires</dt>
        <dd>
          {day(card.expiresAt)} <span className="muted">({fromNow(card.expiresAt)})</span>
        </dd>
        <dt>Mode</dt>
        <dd>{modeLabel(card.mode)}</dd>
        <dt>Nodes</dt>
        <dd>
          <ul className="roles">
            {Object.entries(card.nodes).map(([role, count]) => (
              <li key={role}>
                {role} <strong>{count}</strong>
              </li>
            ))}
          </ul>
        </dd>
        {Object.keys(card.limits).length > 0 ? (
          <>
            <dt>Limits</dt>
            <dd>
              <ul className="roles">
                {Object.entries(card.limits).map(([limit, value]) => (
                  <li key={limit}>
                    {limit} <strong>{value}</strong>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
        {card.features.length > 0 ? (
          <>
            <dt>Features</dt>
            <dd>{card.features.join(', ')}</dd>
          </>
        ) : null}
        <dt>License</dt>
        <dd className="mono small">{card.id}</dd>
      </dl>
      <div className="actions">
        <Link className="button" to={`/licenses/${card.id}`} aria-label={`View details of the ${card.product.name} license ${card.id}`}>
          View details
        </Link>
        {card.lmid === null ? (
          <Link className="button secondary" to={`/licenses/${card.id}/bind`}>
            Bind License Manager
          </Link>
        ) : null}
        <RenewButton licenseId={card.id} productName={card.product.name} />
      </div>
    </article>
  );
}
