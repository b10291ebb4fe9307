/** Module hooks (see without-okta-sdk.mjs): resolving the Okta SDK fails with a message naming it. */
export async function resolve(specifier, context, nextResolve) {
  if (specifier === "@okta/okta-sdk-nodejs" || specifier.startsWith("@okta/okta-sdk-nodejs/")) {
    throw new Error(`the Okta SDK was loaded (${specifier} imported from ${context.parentURL})`);
  }
  return nextResolve(specifier, context);
}
