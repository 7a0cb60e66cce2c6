// Why a change to the event was refused, in the operator's language: the
// room's reasons (src/domain/settings.ts) in our words, and a body that fails
// its schema in zod's own French or English (its locales are maintained with it).
import * as z from "zod";
import en from "zod/v4/locales/en.js";
import fr from "zod/v4/locales/fr.js";
import type { ChangeReason } from "../domain/settings";
import type { Lang } from "../http/errors";
import { fieldOf } from "../http/body";

type Values = Record<string, string | number>;
type Words = (v: Values) => string;

/** The room's reasons, and the banner's forbidden characters (a refinement of the settings' schema). */
const REASONS: Record<ChangeReason | "forbidden_characters", [fr: Words, en: Words]> = {
  below_accepted: [
    (v) => `Le quota ne peut pas descendre sous les ${v.accepted} demandes déjà acceptées.`,
    (v) => `The quota cannot go below the ${v.accepted} submissions already accepted.`,
  ],
  would_close: [
    (v) =>
      `Un quota de ${v.quota} égale les ${v.accepted} demandes déjà acceptées : la réception des demandes fermerait aussitôt, pour toutes les personnes en attente, et ne pourrait pas rouvrir. Pour fermer ainsi, confirmez en tapant l'identifiant de la période (${v.event}).`,
    (v) =>
      `A quota of ${v.quota} equals the ${v.accepted} submissions already accepted: the intake would close at once, for everyone waiting, and could not reopen. To close it this way, confirm by typing the event id (${v.event}).`,
  ],
  opens_at_locked: [
    () => "Des candidats ont déjà un numéro : l'heure d'ouverture ne peut plus changer.",
    () => "Candidates already hold numbers: the opening time can no longer change.",
  ],
  opens_at_past: [() => "L'heure d'ouverture demandée est déjà passée.", () => "The opening time asked for is already past."],
  prequeue_after_opening: [
    () => "La préfile doit ouvrir avant l'heure d'ouverture.",
    () => "The pre-queue must open before the opening time.",
  ],
  prequeue_locked: [
    () => "La préfile ne peut être planifiée, déplacée ou annulée qu'avant son ouverture.",
    () => "The pre-queue can only be scheduled, moved or cancelled before it opens.",
  ],
  intake_closed: [
    () => "La réception des demandes est fermée : son quota ne peut plus changer, et elle ne rouvre pas.",
    () => "The intake is closed: its quota can no longer change, and it does not reopen.",
  ],
  invalid_instant: [() => "Cette date n'est pas un instant ISO-8601.", () => "This date is not an ISO-8601 instant."],
  vars_invalid: [
    () => "Les variables EVENT_ du déploiement donnent un événement invalide.",
    () => "The deployment's EVENT_ variables give an invalid event.",
  ],
  forbidden_characters: [
    () => "Le message contient des caractères interdits : caractères de contrôle (NUL, …) ou de direction du texte.",
    () => "The message holds forbidden characters: control characters (NUL, …) or text-direction overrides.",
  ],
};

/** A refusal's sentence, with its figures, in `lang`. */
export function reasonText(reason: ChangeReason | "forbidden_characters", lang: Lang, values: Values = {}): string {
  return REASONS[reason][lang === "en" ? 1 : 0](values);
}

const LOCALES = { fr: fr().localeError, en: en().localeError };

/** zod's messages in `lang`; ours for the checks zod has no words for. */
export function issueMessages(lang: Lang): z.core.$ZodErrorMap {
  return (issue) => {
    const reason = issue.code === "custom" ? (issue.params as { reason?: string } | undefined)?.reason : undefined;
    if (reason === "forbidden_characters") return reasonText(reason, lang);
    return LOCALES[lang](issue);
  };
}

/** What a body's first schema issue says: its field (dotted), a stable reason and a sentence. */
export function schemaRefusal(error: z.core.$ZodError): { field: string; reason: string; message: string } {
  const issue = error.issues.find((i) => i.code === "unrecognized_keys") ?? error.issues[0];
  const field = fieldOf(error);
  const custom = issue?.code === "custom" ? (issue.params as { reason?: string } | undefined)?.reason : undefined;
  return { field, reason: custom ?? issue?.code ?? "invalid", message: issue?.message ?? "" };
}
