// The contract's error body `{error: {code, message}}`: stable codes, messages
// for people in French (or English when asked).
import type { Context } from "hono";

export type Lang = "fr" | "en";

const MESSAGES = {
  no_ticket: ["Vous n'avez pas encore de numéro : entrez dans la salle d'attente.", "You have no number yet: enter the waiting room."],
  bad_ticket: ["Votre billet n'est pas valide pour cette salle d'attente.", "Your ticket is not valid for this waiting room."],
  ticket_left: ["Vous avez quitté la file ; prenez un nouveau numéro pour y revenir.", "You left the line; take a new number to come back."],
  not_open: ["La salle d'attente n'est pas encore ouverte.", "The waiting room is not open yet."],
  closed: ["La période de réception des demandes est terminée.", "The intake is closed."],
  not_your_turn: ["Ce n'est pas encore votre tour.", "It is not your turn yet."],
  turn_lost: ["Votre tour est passé : votre admission a expiré ou a été utilisée.", "Your turn has passed: your admission expired or was used."],
  unknown_event: ["Cette période de réception n'existe pas.", "This intake does not exist."],
  pow_required: ["Résolvez d'abord l'énigme d'entrée (votre navigateur s'en charge).", "Solve the entry puzzle first (your browser does it)."],
  pow_invalid: ["La preuve de travail n'est pas valide.", "The proof of work is not valid."],
  pow_expired: ["L'énigme d'entrée a expiré ; demandez-en une nouvelle.", "The entry puzzle expired; ask for a new one."],
  pow_too_easy: ["L'énigme d'entrée est devenue plus difficile ; demandez-en une nouvelle.", "The entry puzzle became harder; ask for a new one."],
  pow_reused: ["Cette énigme a déjà servi ; demandez-en une nouvelle.", "This puzzle was already used; ask for a new one."],
  turnstile_failed: ["La vérification anti-robot a échoué ; réessayez.", "The bot check failed; try again."],
  rate_limited: ["Trop de demandes depuis votre adresse ; réessayez dans un moment.", "Too many requests from your address; try again shortly."],
  bad_origin: ["Requête refusée : elle ne vient pas de ce site.", "Request refused: it does not come from this site."],
  unauthorized: ["Authentification requise.", "Authentication required."],
  admission_required: ["Une admission est nécessaire : passez par la salle d'attente.", "An admission is required: go through the waiting room."],
  admission_invalid: ["L'admission n'est pas valide.", "The admission is not valid."],
  admission_expired: ["L'admission a expiré.", "The admission has expired."],
  path_closed: ["Cette page est fermée pendant la période de réception des demandes.", "This page is closed during the intake."],
  duplicate: ["Une demande a déjà été acceptée pour ce compte ou cette personne.", "An application was already accepted for this account or this person."],
  device_not_allowed: ["Seules les demandes faites à partir d'un ordinateur personnel sont acceptées ; les tablettes et les téléphones sont refusés.", "Only applications from a personal computer are accepted; tablets and phones are refused."],
  quota_reached: ["Le nombre maximal de demandes est atteint : la soumission est fermée.", "The maximum number of applications has been reached: submission is closed."],
  closed_by_operator: [
    "La période de réception des demandes a été fermée par le ministère : la soumission est fermée.",
    "The intake was closed by the operators: submission is closed.",
  ],
  already_paid: [
    "Cette demande est déjà payée, sous une autre référence de paiement.",
    "This application is already paid, under another payment reference.",
  ],
  not_found: ["Ressource introuvable.", "Not found."],
  method_not_allowed: ["Méthode non permise.", "Method not allowed."],
  invalid_body: ["Le contenu de la requête n'est pas valide.", "The request body is not valid."],
  invalid_json: ["Le contenu de la requête n'est pas du JSON valide.", "The request body is not valid JSON."],
  invalid_query: ["Les paramètres de la requête ne sont pas valides.", "The query parameters are not valid."],
  invalid_header: ["Un en-tête de la requête n'est pas valide.", "A request header is not valid."],
  invalid_change: ["Ce changement n'est pas permis.", "This change is not allowed."],
  confirmation_required: ["Ce changement fermerait l'inscription : confirmez en tapant l'identifiant de l'événement.", "This change would close the intake: confirm it by typing the event's id."],
  payload_too_large: ["Le contenu de la requête est trop volumineux.", "The request body is too large."],
  unsupported_media_type: ["Type de contenu non pris en charge : utilisez application/json.", "Unsupported content type: use application/json."],
  origin_unavailable: ["Le service est momentanément indisponible ; votre place dans la file est conservée.", "The service is temporarily unavailable; your place in the line is kept."],
  origin_timeout: ["Le service met trop de temps à répondre ; votre place dans la file est conservée.", "The service is taking too long to answer; your place in the line is kept."],
  internal: ["Erreur interne ; réessayez dans un moment.", "Internal error; try again shortly."],
  misconfigured: ["Le service est mal configuré.", "The service is misconfigured."],
  ambiguous_path: ["Cette adresse est ambiguë : elle peut désigner plus d'une page. Vérifiez-la ou repartez de l'accueil.", "This address is ambiguous: it may name more than one page. Check it or start again from the home page."],
  admission_used: [
    "Cette admission a déjà servi pour une autre demande : elle ne peut pas servir pour un autre compte ni pour une autre demande.",
    "This admission was already used for another application: it cannot serve another account or another application.",
  ],
  secret_in_url: [
    "Aucun secret dans l'adresse : envoyez le jeton de reçu ou la clé dans l'en-tête Authorization (Bearer), jamais dans les paramètres de la requête.",
    "No secret in the URL: send the receipt token or the key in the Authorization header (Bearer), never in the query string.",
  ],
  read_only: ["Ce jeton permet seulement de lire les métriques.", "This token may only read metrics."],
} as const satisfies Record<string, readonly [string, string]>;

export type ErrorCode = keyof typeof MESSAGES;

export function messageFor(code: ErrorCode, lang: Lang): string {
  return MESSAGES[code][lang === "en" ? 1 : 0];
}

/** An expected refusal: becomes the contract's error body in `onError`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(code);
  }
}

/** `?lang=en` or an `Accept-Language` that prefers English. */
export function langOf(c: Context): Lang {
  const q = c.req.query("lang");
  if (q === "en" || q === "fr") return q;
  const accept = (c.req.header("accept-language") ?? "").trim().toLowerCase();
  return accept.startsWith("en") ? "en" : "fr";
}

export function errorBody(code: ErrorCode, lang: Lang, details: Record<string, unknown> = {}) {
  return { error: { code, message: messageFor(code, lang), ...details } };
}
