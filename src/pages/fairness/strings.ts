// The fairness page's words, French and English together. `checker` is what
// its script (fairness.client.js) writes, with `{n}` and `{number}` filled in.
import type { Lang } from "../../http/errors";

const STRINGS = {
  fr: {
    title: "Vérifier le tirage de la pré-file",
    intro:
      "Quand une pré-file est prévue, Guichet publie avant son ouverture l'empreinte SHA-256 d'une graine secrète. À l'ouverture, chaque personne de la pré-file reçoit son numéro selon l'ordre de HMAC-SHA256(graine, identifiant public). La graine est alors révélée : n'importe qui peut refaire le calcul et le comparer aux numéros publiés.",
    yourId: "Votre identifiant public (affiché dans la salle d'attente, facultatif)",
    check: "Vérifier dans ce navigateur",
    script: "Ou en ligne de commande :",
    checker: {
      checking: "Vérification en cours…",
      notYet: "Le tirage n'a pas encore eu lieu : la graine sera révélée à l'ouverture.",
      badCommitment: "ÉCHEC : la graine révélée ne correspond pas à l'empreinte publiée.",
      ok: "Vérifié : l'empreinte correspond à la graine et les {n} numéros publiés correspondent au calcul.",
      mismatch: "ÉCHEC : {n} numéros publiés ne correspondent pas au calcul.",
      yours: "Votre numéro tiré : {number}.",
      notFound: "Votre identifiant n'est pas dans le tirage.",
      failed: "La vérification n'a pas pu être faite (connexion ?).",
    },
  },
  en: {
    title: "Check the pre-queue's draw",
    intro:
      "When a pre-queue is planned, Guichet publishes, before it opens, the SHA-256 digest of a secret seed. At the opening, everyone in the pre-queue gets their number in the order of HMAC-SHA256(seed, public id). The seed is then revealed: anyone can redo the computation and compare it with the published numbers.",
    yourId: "Your public id (shown in the waiting room, optional)",
    check: "Check in this browser",
    script: "Or from a command line:",
    checker: {
      checking: "Checking…",
      notYet: "The draw has not happened yet: the seed is revealed at the opening.",
      badCommitment: "FAILED: the revealed seed does not match the published digest.",
      ok: "Checked: the digest matches the seed and the {n} published numbers match the computation.",
      mismatch: "FAILED: {n} published numbers do not match the computation.",
      yours: "Your drawn number: {number}.",
      notFound: "Your id is not in the draw.",
      failed: "The check could not be done (connection?).",
    },
  },
} satisfies Record<Lang, unknown>;

export type FairnessStrings = (typeof STRINGS)[Lang];

export function fairnessStrings(lang: Lang): FairnessStrings {
  return STRINGS[lang];
}
