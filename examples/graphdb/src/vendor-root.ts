/**
 * The vendor's root public key(s), compiled into graphdb when it is built (scripts/build-product.ts defines
 * __TESSERA_VENDOR_ROOTS__). graphdb accepts only licenses vouched for by this root, and nothing on the customer's
 * machine (a flag, a file, an environment variable) can replace it: a root read at run time would let whoever can
 * change that input trust a key of their own (DESIGN decision 8). A new root means a new build of the product.
 */
declare const __TESSERA_VENDOR_ROOTS__: readonly string[] | undefined;

/** The compiled-in roots; throws when this copy was built without one (plain tsc output is not a product). */
export function vendorRoots(): readonly string[] {
  if (typeof __TESSERA_VENDOR_ROOTS__ === 'undefined' || __TESSERA_VENDOR_ROOTS__.length === 0) {
    throw new Error(
      'this copy of graphdb was built without the vendor\'s root key; build it with: npx tsx scripts/build-product.ts --root "tessera-root:…" graphdb',
    );
  }
  return __TESSERA_VENDOR_ROOTS__;
}
