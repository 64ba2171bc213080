/** Choosing the customer and the product of a sale or a key: the products with their roles, customers found by name. */
import { useEffect, useId, useState } from 'react';
import { api } from '../api';
import { ErrorNotice } from '../components/page';
import { staffMessageOf, staffPath } from './api';
import type { CustomerDetails, CustomerSummary, Page, Product } from './api';
import type { Answer } from '../api';

export interface Catalogue {
  products: Product[] | null;
  customers: CustomerSummary[] | null;
  productId: string;
  setProductId(id: string): void;
  customerId: string;
  setCustomerId(id: string): void;
  product: Product | null;
  error: string | null;
}

/** The products and the first customers (the one given in the address among them), and what is chosen. */
export function useCatalogue(initialCustomerId: string | null, productSlug: string | null = null): Catalogue {
  const [products, setProducts] = useState<Product[] | null>(null);
  const [customers, setCustomers] = useState<CustomerSummary[] | null>(null);
  const [productId, setProductId] = useState('');
  const [customerId, setCustomerId] = useState(initialCustomerId ?? '');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    Promise.all([
      api<Answer<'getStaffProducts'>>('GET', '/v1/staff/products'),
      api<Page<CustomerSummary>>('GET', '/v1/staff/customers?limit=200'),
      initialCustomerId ? api<CustomerDetails>('GET', staffPath.customer(initialCustomerId)) : Promise.resolve(null),
    ]).then(
      ([productList, customerPage, given]) => {
        if (!current) return;
        // Only what can be sold: the built-in License Manager product (no roles) is for its packages alone.
        const sellable = productList.items.filter((p) => p.roles.length > 0);
        setProducts(sellable);
        const list = customerPage.items;
        setCustomers(given && !list.some((c) => c.id === given.id) ? [given, ...list] : list);
        // A request code naming its product chooses it; a vendor with one product has it chosen.
        const named = sellable.find((p) => p.slug === productSlug) ?? (sellable.length === 1 ? sellable[0] : null);
        setProductId((chosen) => chosen || (named?.id ?? ''));
      },
      (failure: unknown) => current && setError(staffMessageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [initialCustomerId, productSlug]);

  const product = products?.find((p) => p.id === productId) ?? null;
  return { products, customers, productId, setProductId, customerId, setCustomerId, product, error };
}

export function ProductAndCustomer({ catalogue }: { catalogue: Catalogue }) {
  const id = useId();
  const { products, customers } = catalogue;
  return (
    <>
      <ErrorNotice message={catalogue.error} />
      <div className="field">
        <label htmlFor={`${id}-customer`}>Customer</label>
        <select
          id={`${id}-customer`}
          value={catalogue.customerId}
          onChange={(event) => catalogue.setCustomerId(event.target.value)}
          required
        >
          <option value="">{customers ? 'Choose a customer' : 'Loading the customers…'}</option>
          {customers?.map((customer) => (
            <option key={customer.id} value={customer.id}>
              {customer.name} ({customer.id})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-product`}>Product</label>
        <select id={`${id}-product`} value={catalogue.productId} onChange={(event) => catalogue.setProductId(event.target.value)} required>
          <option value="">{products ? 'Choose a product' : 'Loading the products…'}</option>
          {products?.map((product) => (
            <option key={product.id} value={product.id}>
              {product.name} ({product.slug}: {product.roles.join(', ')})
            </option>
          ))}
        </select>
      </div>
    </>
  );
}
