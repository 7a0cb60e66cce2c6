// What the candidate reads for each answer of the gateway (contract:
// "Submissions"), and for each refusal of the admission. Pure: no I/O.
import type { ReleaseOutcome, SubmitOutcome } from "./gateway";
import type { Refusal } from "./trust";

export interface Notice {
  /** The page's HTTP status. */
  status: 401 | 403 | 409 | 410 | 422 | 502 | 503;
  title: string;
  message: string;
  /** Offer to submit again (the same admission: a retry never takes a second place). */
  retry: boolean;
  /** Send the candidate back to the waiting room. */
  backToRoom: boolean;
}

type Refused = Exclude<SubmitOutcome, { kind: "accepted" }>;

export function submissionNotice(o: Refused): Notice {
  switch (o.kind) {
    case "duplicate":
      return o.by === "account"
        ? {
            status: 409,
            title: "Demande déjà soumise",
            message: "Une demande a déjà été acceptée pour ce compte. Une seule demande par compte est considérée ; consultez vos documents pour l'accusé de réception.",
            retry: false,
            backToRoom: false,
          }
        : {
            status: 409,
            title: "Demande refusée : doublon",
            message:
              "Une demande a déjà été acceptée pour cette personne sous un autre compte. Les doublons sont repérés et supprimés : cette demande n'est pas considérée et n'a pas pris de place dans le quota.",
            retry: false,
            backToRoom: false,
          };
    case "device_not_allowed":
      return {
        status: 403,
        title: "Demande refusée : appareil non admis",
        message: "Seules les demandes faites à partir d'un ordinateur personnel sont considérées. Les demandes faites à partir d'une tablette ou d'un téléphone sont refusées.",
        retry: false,
        backToRoom: false,
      };
    case "quota_reached":
      return {
        status: 410,
        title: "Nombre maximal de demandes atteint",
        message: "Le nombre maximal de demandes à recevoir est atteint : la soumission est fermée. Votre demande n'a pas été soumise.",
        retry: false,
        backToRoom: false,
      };
    case "closed_by_operator":
      return {
        status: 410,
        title: "Soumission fermée",
        message: "La réception des demandes a été fermée par le Ministère. Votre demande n'a pas été soumise.",
        retry: false,
        backToRoom: false,
      };
    case "admission_expired":
      return {
        status: 410,
        title: "Délai dépassé",
        message: "Le délai pour soumettre votre demande est écoulé : l'admission obtenue dans la salle d'attente a expiré. Votre demande n'a pas été soumise.",
        retry: false,
        backToRoom: true,
      };
    case "admission_invalid":
      return {
        status: 401,
        title: "Admission non valide",
        message: o.revoked
          ? "Vous avez quitté la file d'attente : cette admission ne permet plus de soumettre une demande. Votre demande n'a pas été soumise."
          : "Votre admission n'est pas valide. Votre demande n'a pas été soumise ; passez par la salle d'attente.",
        retry: false,
        backToRoom: true,
      };
    case "invalid_body":
      return {
        status: 422,
        title: "Demande incomplète",
        message: `La demande est incomplète ou mal remplie${o.field ? ` (champ : ${o.field})` : ""}. Corrigez-la, puis soumettez-la de nouveau.`,
        retry: true,
        backToRoom: false,
      };
    case "origin_refused":
      return {
        status: 502,
        title: "Transmission impossible",
        message: "Le portail n'a pas pu transmettre votre demande au service de réception. Votre demande n'a pas été comptée ; réessayez dans un moment.",
        retry: true,
        backToRoom: false,
      };
    case "unavailable":
      return {
        status: 503,
        title: "Service momentanément indisponible",
        message:
          "Le service de réception des demandes ne répond pas pour le moment. Réessayez dans un moment : si votre demande avait déjà été reçue, vous obtiendrez le même accusé de réception, sans prendre une seconde place.",
        retry: true,
        backToRoom: false,
      };
  }
}

/** The admission in X-Guichet-Admission was refused (trust.ts). */
export function admissionNotice(refusal: Refusal): Notice {
  switch (refusal) {
    case "missing":
      return {
        status: 401,
        title: "Admission requise",
        message: "Cette page est réservée aux candidats admis par la salle d'attente virtuelle. Prenez un numéro : vous serez dirigé ici à votre tour.",
        retry: false,
        backToRoom: true,
      };
    case "expired":
      return {
        status: 401,
        title: "Admission expirée",
        message: "Le délai accordé à votre tour est écoulé. Retournez à la salle d'attente virtuelle.",
        retry: false,
        backToRoom: true,
      };
    case "invalid":
      return {
        status: 401,
        title: "Admission non valide",
        message: "Votre admission n'a pas pu être vérifiée. Retournez à la salle d'attente virtuelle.",
        retry: false,
        backToRoom: true,
      };
    case "keys_unavailable":
      return {
        status: 503,
        title: "Vérification momentanément impossible",
        message: "Votre admission ne peut pas être vérifiée pour le moment. Réessayez dans un moment : votre place dans la file est conservée.",
        retry: true,
        backToRoom: false,
      };
  }
}

/** "Quitter sans soumettre". */
export function releaseMessage(o: ReleaseOutcome): { status: 200 | 502 | 503; title: string; message: string } {
  switch (o.kind) {
    case "released":
      return { status: 200, title: "Vous avez quitté sans soumettre", message: "Votre demande n'a pas été soumise et votre place a été libérée pour le candidat suivant." };
    case "admission_invalid":
      return { status: 200, title: "Vous avez quitté sans soumettre", message: "Votre demande n'a pas été soumise. Votre admission n'était déjà plus valide." };
    case "origin_refused":
      return { status: 502, title: "Départ non transmis", message: "Le portail n'a pas pu libérer votre place. Votre demande n'a pas été soumise ; votre admission expirera d'elle-même." };
    case "unavailable":
      return { status: 503, title: "Départ non transmis", message: "Le service ne répond pas pour le moment ; réessayez. Votre demande n'a pas été soumise." };
  }
}
