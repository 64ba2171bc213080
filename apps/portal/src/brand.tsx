/**
 * The vendor's brand in the portal: read once from GET /v1/brand (before any login: the login page is branded
 * too) and again after an admin changes it. The name goes into the header, the page titles and the footer, the
 * accent into the CSS variables (set through the style object, which the CSP allows, never as markup), the logo
 * into an <img> from a data: URL (the CSP's img-src). Until the answer comes, and if it fails, the neutral default.
 */
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { api } from './api';
import type { components } from './api-types';

export type Brand = components['schemas']['Brand'];

export const NEUTRAL_BRAND: Brand = { name: 'Tessera', logo: null, supportEmail: null, accent: '#0b5cad', accentDark: '#084785' };

const BrandContext = createContext<{ brand: Brand; reload(): void }>({ brand: NEUTRAL_BRAND, reload: () => {} });

export function BrandProvider({ children }: { children: ReactNode }) {
  const [brand, setBrand] = useState<Brand>(NEUTRAL_BRAND);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    api<Brand>('GET', '/v1/brand').then(
      (answer) => current && setBrand(answer),
      () => {
        // The neutral brand stays: the portal works without its colours.
      },
    );
    return () => {
      current = false;
    };
  }, [attempt]);
  useEffect(() => {
    const root = document.documentElement.style;
    root.setProperty('--accent', brand.accent);
    root.setProperty('--accent-dark', brand.accentDark);
  }, [brand.accent, brand.accentDark]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return <BrandContext.Provider value={{ brand, reload }}>{children}</BrandContext.Provider>;
}

export function useBrand(): Brand {
  return useContext(BrandContext).brand;
}

/** Reads the brand again (after an admin saved it). */
export function useBrandReload(): () => void {
  return useContext(BrandContext).reload;
}

/** "Acme Software License Center" */
export const portalName = (brand: Brand) => `${brand.name} License Center`;
