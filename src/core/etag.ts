// If-Match for the ETags Gatehouse hands out. Clients echo them in different forms: quoted as
// sent, bare (as some Mender clients do), or marked weak by a proxy in between. All name the
// same stored version, so all are accepted; anything else is a mismatch.

/** Whether an If-Match header (`*`, or a comma-separated list) names `current`, given bare. */
export const ifMatchNames = (ifMatch: string, current: string | undefined): boolean => {
  if (current === undefined) return false;
  if (ifMatch.trim() === '*') return true;
  return ifMatch.split(',').some((t) => {
    const v = t.trim();
    return v === current || v === `"${current}"` || v === `W/"${current}"`;
  });
};
