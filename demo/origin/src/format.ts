// How numbers and times read for candidates: French (Canada), Montreal time.

const numbers = new Intl.NumberFormat("fr-CA");
const dateTime = new Intl.DateTimeFormat("fr-CA", { timeZone: "America/Montreal", dateStyle: "long", timeStyle: "medium" });
const dateOnly = new Intl.DateTimeFormat("fr-CA", { timeZone: "America/Montreal", dateStyle: "long" });

/** 1234 → "1 234" (a no-break space between thousands). */
export function formatNumber(n: number): string {
  return numbers.format(n);
}

/** "Votre rang : 1 234 sur 5 100" */
export function rankLine(rank: number | null, quota: number): string {
  return rank === null ? "Demande reçue hors quota" : `Votre rang : ${formatNumber(rank)} sur ${formatNumber(quota)}`;
}

/** An ISO instant in Montreal time, e.g. "13 juin 2016 à 08 h 31 min 02 s (heure de Montréal)". */
export function montrealDateTime(iso: string): string {
  return `${dateTime.format(new Date(iso))} (heure de Montréal)`;
}

export function montrealDate(iso: string): string {
  return dateOnly.format(new Date(iso));
}

export const STATUS_LABELS: Record<string, string> = {
  accepted: "Acceptée — en attente du paiement des frais",
  paid: "Payée — comptabilisée dans le nombre maximal de demandes",
  expired_unpaid: "Supprimée — frais non payés dans les 30 jours",
  withdrawn: "Retirée",
};

export function statusLabel(status: string | undefined): string {
  return (status && STATUS_LABELS[status]) || "Inconnu";
}
