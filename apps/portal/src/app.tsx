/**
 * The portal: the session, the layout and the route table. Public pages (login, the mailed links' pages) work
 * without a session; the others ask for a login and come back afterwards. A customer's home is the licenses list;
 * staff have their own section under /staff.
 */
import { Fragment, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { messageOf } from './api';
import { BrandProvider, portalName, useBrand } from './brand';
import type { User } from './api';
import { ErrorNotice, Loading, PageTitle } from './components/page';
import { BindWizardPage } from './pages/bind-wizard';
import { LicenseDetailsPage } from './pages/license-details';
import { LicensesPage } from './pages/licenses';
import { MarketplaceWelcomePage } from './pages/marketplace-welcome';
import { LoginLinkPage, LoginPage } from './pages/login';
import { ForgotPage, ResetPage } from './pages/password-reset';
import { ActivatePage, SetupPage } from './pages/register';
import { StaffHomePage } from './pages/staff';
import { AuditPage, ClonesPage, KeysPage, StaffUsersPage } from './pages/staff-admin';
import { BrandPage } from './pages/staff-brand';
import { ContractPage, ContractsPage, NewContractPage } from './pages/staff-contracts';
import { CustomerPage, CustomersPage } from './pages/staff-customers';
import { PackagesPage } from './pages/staff-packages';
import { ProductsPage } from './pages/staff-products';
import { StaffLicensePage } from './pages/staff-license';
import { NewLicensePage } from './pages/staff-license-new';
import { RequestCodePage } from './pages/staff-request-code';
import { Link, navigate, useLinkVisit, useLocation } from './router';
import { SessionProvider, useSession } from './session';

type Access = 'public' | 'anonymous' | 'customer' | 'staff';

interface Route {
  pattern: RegExp;
  access: Access;
  render(params: string[]): ReactNode;
}

/** First match wins. 'anonymous' pages send a logged-in user home; 'public' ones (mailed links) work either way. */
const ROUTES: Route[] = [
  { pattern: /^\/login$/, access: 'anonymous', render: () => <LoginPage /> },
  { pattern: /^\/forgot$/, access: 'anonymous', render: () => <ForgotPage /> },
  { pattern: /^\/setup$/, access: 'public', render: () => <SetupPage /> },
  { pattern: /^\/activate$/, access: 'public', render: () => <ActivatePage /> },
  { pattern: /^\/reset$/, access: 'public', render: () => <ResetPage /> },
  { pattern: /^\/login-link$/, access: 'public', render: () => <LoginLinkPage /> },
  { pattern: /^\/marketplace\/welcome$/, access: 'public', render: () => <MarketplaceWelcomePage /> },
  { pattern: /^\/(?:licenses)?$/, access: 'customer', render: () => <LicensesPage /> },
  { pattern: /^\/licenses\/(lic_[A-Za-z0-9]+)$/, access: 'customer', render: ([id]) => <LicenseDetailsPage key={id} licenseId={id!} /> },
  { pattern: /^\/licenses\/(lic_[A-Za-z0-9]+)\/bind$/, access: 'customer', render: ([id]) => <BindWizardPage key={id} licenseId={id!} /> },
  { pattern: /^\/staff\/?$/, access: 'staff', render: () => <StaffHomePage /> },
  { pattern: /^\/staff\/customers$/, access: 'staff', render: () => <CustomersPage /> },
  { pattern: /^\/staff\/customers\/(cus_[A-Za-z0-9]+)$/, access: 'staff', render: ([id]) => <CustomerPage key={id} customerId={id!} /> },
  { pattern: /^\/staff\/contracts$/, access: 'staff', render: () => <ContractsPage /> },
  { pattern: /^\/staff\/contracts\/new$/, access: 'staff', render: () => <NewContractPage /> },
  { pattern: /^\/staff\/contracts\/(ctr_[A-Za-z0-9]+)$/, access: 'staff', render: ([id]) => <ContractPage key={id} contractId={id!} /> },
  { pattern: /^\/staff\/licenses\/new$/, access: 'staff', render: () => <NewLicensePage /> },
  { pattern: /^\/staff\/licenses\/(lic_[A-Za-z0-9]+)$/, access: 'staff', render: ([id]) => <StaffLicensePage key={id} licenseId={id!} /> },
  { pattern: /^\/staff\/request-code$/, access: 'staff', render: () => <RequestCodePage /> },
  { pattern: /^\/staff\/products$/, access: 'staff', render: () => <ProductsPage /> },
  { pattern: /^\/staff\/packages$/, access: 'staff', render: () => <PackagesPage /> },
  { pattern: /^\/staff\/clones$/, access: 'staff', render: () => <ClonesPage /> },
  { pattern: /^\/staff\/audit$/, access: 'staff', render: () => <AuditPage /> },
  { pattern: /^\/staff\/keys$/, access: 'staff', render: () => <KeysPage /> },
  { pattern: /^\/staff\/users$/, access: 'staff', render: () => <StaffUsersPage /> },
  { pattern: /^\/staff\/brand$/, access: 'staff', render: () => <BrandPage /> },
];

export function App() {
  return (
    <BrandProvider>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </BrandProvider>
  );
}

function homeOf(user: User): string {
  return user.role === 'customer' ? '/' : '/staff';
}

function Shell() {
  const { state, reload } = useSession();
  const { path, key } = useLocation();
  const visit = useLinkVisit();
  const user = state.status === 'user' ? state.user : null;
  const match = ROUTES.map((route) => ({ route, found: route.pattern.exec(path) })).find((m) => m.found);
  const access = match?.route.access ?? 'public';

  // Where the page is not for this visitor: to the login (and back afterwards), or to their own home.
  const redirect =
    state.status === 'anonymous' && (access === 'customer' || access === 'staff')
      ? `/login?next=${encodeURIComponent(key)}`
      : user && access === 'anonymous'
        ? homeOf(user)
        : user && access === 'customer' && user.role !== 'customer'
          ? homeOf(user)
          : null;
  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  let page: ReactNode;
  if (state.status === 'loading' && access !== 'public') page = <Loading what="your session" />;
  else if (state.status === 'unreachable' && access !== 'public')
    page = (
      <section className="narrow">
        <PageTitle title="The License Center cannot be reached" />
        <ErrorNotice message={state.message} />
        <button type="button" onClick={reload}>
          Try again
        </button>
      </section>
    );
  else if (redirect) page = null;
  else if (!match) page = <NotFoundPage />;
  else if (access === 'staff' && user?.role === 'customer') page = <NotFoundPage />;
  else page = match.route.render(match.found!.slice(1));

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header user={user} />
      <main id="main" tabIndex={-1}>
        <Fragment key={visit}>{page}</Fragment>
      </main>
      <Footer />
    </>
  );
}

function Header({ user }: { user: User | null }) {
  const { logout } = useSession();
  const brand = useBrand();
  const [error, setError] = useState<string | null>(null);
  const leave = async () => {
    setError(null);
    try {
      await logout();
      navigate('/login', { replace: true, notice: 'You are logged out.' });
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  return (
    <header className="topbar">
      <Link to={user ? homeOf(user) : '/login'} className="brand">
        {brand.logo ? <img className="brand-logo" src={brand.logo} alt="" /> : null}
        {brand.name} <span>License Center</span>
      </Link>
      {user ? (
        <nav aria-label="Main">
          <ul>
            {user.role === 'customer' ? (
              <li>
                <Link to="/">Licenses</Link>
              </li>
            ) : (
              <li>
                <Link to="/staff">Staff</Link>
              </li>
            )}
            <li className="who" title={user.email}>
              {user.name}
            </li>
            <li>
              <button type="button" className="link" onClick={leave}>
                Log out
              </button>
            </li>
          </ul>
          <ErrorNotice message={error} />
        </nav>
      ) : null}
    </header>
  );
}

function Footer() {
  const brand = useBrand();
  return (
    <footer className="footer">
      <span>{portalName(brand)}</span>
      {brand.supportEmail ? (
        <>
          {' '}
          · Support: <a href={`mailto:${brand.supportEmail}`}>{brand.supportEmail}</a>
        </>
      ) : null}{' '}
      · <a href="/docs">API reference</a>
    </footer>
  );
}

function NotFoundPage() {
  return (
    <section className="narrow">
      <PageTitle title="Page not found" />
      <p>There is no page at this address.</p>
      <p>
        <Link to="/">Go to the start page</Link>
      </p>
    </section>
  );
}
