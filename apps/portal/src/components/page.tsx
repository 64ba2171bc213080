/** A page's heading: sets the document title and, after a navigation, takes the focus so screen readers start there. */
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import { portalName, useBrand } from '../brand';

let firstPage = true;

export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const name = portalName(useBrand());
  useEffect(() => {
    // The first page of a visit keeps the browser's own focus; later ones move it to their heading.
    if (firstPage) firstPage = false;
    else heading.current?.focus();
  }, [title]);
  useEffect(() => {
    document.title = `${title} · ${name}`;
  }, [title, name]);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children ?? title}
    </h1>
  );
}

/** An error in the API's words, announced when it appears, next to what caused it. */
export function ErrorNotice({ message, id }: { message: string | null; id?: string }) {
  if (!message) return null;
  return (
    <p className="notice notice-error" role="alert" id={id}>
      {message}
    </p>
  );
}

/** A result to announce politely ("Check your mail for the activation link."). */
export function SuccessNotice({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="notice notice-ok" role="status">
      {message}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      Loading {what}…
    </p>
  );
}
