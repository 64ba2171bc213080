/** The staff section (/staff/...): its pages (customers, contracts, licenses, request codes, audit, keys) come next. */
import { PageTitle } from '../components/page';
import { useUser } from '../session';

export function StaffHomePage() {
  const user = useUser();
  return (
    <section className="narrow">
      <PageTitle title="Staff" />
      <p>
        You are logged in as {user.email} ({user.role}). The staff pages of the portal are not built yet; meanwhile the whole staff API is
        described in the <a href="/docs">API reference</a>.
      </p>
    </section>
  );
}
