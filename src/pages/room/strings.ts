// What the waiting-room page says, in French (the portal's language) and in
// English. The page renders the static text; the strings under `live` are also
// sent to the page's script, which writes them as the state changes.
// `{name}` marks a value filled in at run time.
import type { Lang } from "../../http/errors";

const fr = {
  htmlTitle: "Salle d'attente virtuelle — Mon projet Québec",
  brand: "Mon projet Québec",
  h1: "Salle d'attente virtuelle",
  otherLang: "English",
  otherLangLabel: "Language",
  bannerLabel: "Message du Ministère",
  deviceTitle: "Attention : téléphone ou tablette",
  deviceText:
    "Seules les demandes faites à partir d'un ordinateur personnel sont acceptées. Les demandes faites à partir d'une tablette ou d'un téléphone seront refusées : utilisez un ordinateur pour vous connecter.",
  noscript: "Cette page se met à jour avec JavaScript. Sans JavaScript, rechargez-la pour voir où vous en êtes.",

  beforeTitle: "La salle d'attente n'est pas encore ouverte",
  beforeWhen: "Elle ouvrira le {date} ({zone}).",
  notScheduled: "L'heure d'ouverture n'est pas encore annoncée.",
  countdownLabel: "Ouverture dans",
  beforeText: "Le bouton « Se connecter » s'activera à l'heure d'ouverture. Il n'est pas possible de se connecter avant.",
  prequeueOpen:
    "La pré-file est ouverte : cliquez sur « Se connecter » pour y entrer. À l'ouverture, l'ordre de toutes les personnes de la pré-file sera tiré au sort ; arriver plus tôt dans la pré-file ne donne aucun avantage.",
  prequeueIn: "Vous êtes dans la pré-file. À l'ouverture, les numéros y seront tirés au sort. Votre identifiant public dans le tirage :",
  prequeueVerify: "Comment le tirage est vérifiable",

  openTitle: "La salle d'attente est ouverte",
  openText: "Cliquez sur « Se connecter » pour recevoir votre numéro d'attente. Les numéros sont attribués dans l'ordre d'arrivée.",
  enter: "Se connecter",

  reminderTitle: "Avant de vous connecter",
  reminderDevice:
    "Seules les demandes faites à partir d'un ordinateur personnel seront considérées ; les demandes faites à partir d'une tablette ou d'un téléphone seront refusées.",
  reminderReady:
    "Ayez en main votre nom d'utilisateur, votre mot de passe, les réponses à vos questions de sécurité et votre carte de crédit.",
  reminderTurn:
    "Quand votre tour viendra, un signal sonore vous avisera, un message apparaîtra à l'écran et vous serez dirigé vers la page de connexion.",
  reminderTime: "Vous aurez alors 10 minutes pour entrer votre identifiant, votre mot de passe, les réponses aux questions de sécurité et soumettre votre demande.",
  reminderNetwork:
    "Une connexion Internet rapide n'est pas nécessaire : la page est légère, et votre numéro est conservé si la connexion est interrompue un moment.",

  waitingTitle: "Vous êtes dans la file d'attente",
  number: "Votre numéro",
  position: "Votre position",
  ahead: "Personnes devant vous",
  wait: "Attente estimée",
  updated: "Dernière mise à jour",
  progress: "Progression dans la file",
  keepOpen:
    "Gardez cette page ouverte. Quand votre tour viendra, un signal sonore vous avisera, un message apparaîtra et vous serez dirigé automatiquement vers la page de connexion.",
  notifyOffer: "Me prévenir par une notification à mon tour",
  notifyOn: "Une notification vous préviendra à votre tour, même si cette page est en arrière-plan.",
  quotaNote:
    "Une place dans la salle d'attente ne garantit pas de pouvoir soumettre une demande, et un numéro plus élevé que le nombre de places ne signifie pas que le quota est atteint.",

  turnTitle: "C'est votre tour !",
  turnText: "Vous allez être dirigé vers la page de connexion.",
  turnLink: "Aller à la page de connexion",

  admittedTitle: "Vous avez été admis",
  admittedText: "Connectez-vous à votre compte et soumettez votre demande.",
  submittedTitle: "Votre demande a été soumise",
  submittedText: "Une confirmation se trouvera dans votre compte, dans le document « Consultation des documents ».",
  releasedTitle: "Votre session est terminée",
  releasedText: "Votre accès à la page de connexion a pris fin.",

  expiredTitle: "Votre délai est écoulé",
  expiredText: "Votre tour est passé sans que la demande soit soumise dans les 10 minutes.",
  retry: "Prendre un nouveau numéro",
  retryText: "Un nouveau numéro vous place à la fin de la file.",

  closedTitle: "La période de réception des demandes est terminée",
  closedQuota: "Le nombre maximal de demandes est atteint : il n'est plus possible de soumettre une demande pour cette période.",
  closedOperator: "Le Ministère a fermé la période de réception : il n'est plus possible de soumettre une demande.",
  closedAfter: "Vous pouvez fermer cette page.",

  footer: "Les heures sont indiquées à l'heure de Montréal.",

  /** Written by the page's script as the state changes. */
  live: {
    titleTurn: "C'est votre tour ! — Salle d'attente",
    title: "Salle d'attente virtuelle — Mon projet Québec",
    zone: "heure de Montréal",
    net: "Connexion interrompue : reconnexion en cours… Votre numéro est conservé.",
    reconnected: "Connexion rétablie.",
    paused: "Les appels sont momentanément suspendus. Votre place est conservée.",
    notOpenYet: "La salle d'attente n'est pas encore ouverte ; nouvel essai dans un instant.",
    tooMany: "Trop de tentatives ; nouvel essai dans quelques secondes.",
    left: "Vous n'avez plus de numéro dans cette file. Vous pouvez en prendre un nouveau.",
    claiming: "Confirmation de votre tour…",
    deadline: "Vous avez jusqu'à {time} ({zone}) pour vous connecter et soumettre votre demande.",
    claimBy: "Votre tour est réservé jusqu'à {time} ({zone}).",
    sessionEnds: "Votre session de 10 minutes se termine à {time} ({zone}).",
    announceOpen: "La salle d'attente est ouverte : vous pouvez vous connecter.",
    announceNumber: "Votre numéro : {number}. Votre position : {position}. Personnes devant vous : {ahead}.",
    announcePosition: "Votre position : {position}. Personnes devant vous : {ahead}.",
    announceTurn: "C'est votre tour ! Vous allez être dirigé vers la page de connexion.",
    notifyTitle: "C'est votre tour ! — Mon projet Québec",
    notifyBody: "Revenez à la salle d'attente : vous allez être dirigé vers la page de connexion.",
    announceClosed: "La période de réception des demandes est terminée.",
    waitingCount: "{n} personnes attendent dans la file.",
    quota: "Demandes acceptées : {accepted} sur {total}.",
    lessThanMinute: "moins d'une minute",
    about: "environ {d}",
    unknown: "—",
    days: "{n} j",
    solving: "Vérification de votre navigateur (quelques secondes)…",
    proofFailed: "La vérification n'a pas abouti ; nouvel essai…",
  },
};

export type RoomStrings = typeof fr;
export type LiveStrings = RoomStrings["live"];

const en: RoomStrings = {
  htmlTitle: "Virtual waiting room — Mon projet Québec",
  brand: "Mon projet Québec",
  h1: "Virtual waiting room",
  otherLang: "Français",
  otherLangLabel: "Langue",
  bannerLabel: "Notice from the Ministry",
  deviceTitle: "Warning: phone or tablet",
  deviceText:
    "Only applications made from a personal computer are accepted. Applications made from a tablet or a phone will be refused: use a computer to join.",
  noscript: "This page updates itself with JavaScript. Without JavaScript, reload it to see where you stand.",

  beforeTitle: "The waiting room is not open yet",
  beforeWhen: "It opens on {date} ({zone}).",
  notScheduled: "The opening time has not been announced yet.",
  countdownLabel: "Opens in",
  beforeText: "The “Join the line” button becomes active at the opening time. You cannot join before.",
  prequeueOpen:
    "The pre-queue is open: click “Join the line” to enter it. At the opening, the order of everyone in the pre-queue is drawn at random; joining the pre-queue earlier gives no advantage.",
  prequeueIn: "You are in the pre-queue. At the opening, numbers are drawn at random among everyone in it. Your public id in the draw:",
  prequeueVerify: "How the draw can be verified",

  openTitle: "The waiting room is open",
  openText: "Click “Join the line” to get your number. Numbers are given in order of arrival.",
  enter: "Join the line",

  reminderTitle: "Before you join",
  reminderDevice: "Only applications made from a personal computer will be considered; applications made from a tablet or a phone will be refused.",
  reminderReady: "Have your user name, your password, the answers to your security questions and your credit card at hand.",
  reminderTurn: "When your turn comes, a sound will alert you, a message will appear on screen and you will be taken to the sign-in page.",
  reminderTime: "You will then have 10 minutes to enter your user name, your password, the answers to the security questions and submit your application.",
  reminderNetwork: "A fast Internet connection is not needed: the page is light, and your number is kept if the connection drops for a while.",

  waitingTitle: "You are in the line",
  number: "Your number",
  position: "Your position",
  ahead: "People ahead of you",
  wait: "Estimated wait",
  updated: "Last update",
  progress: "Progress in the line",
  keepOpen:
    "Keep this page open. When your turn comes, a sound will alert you, a message will appear and you will be taken to the sign-in page automatically.",
  notifyOffer: "Notify me when it is my turn",
  notifyOn: "A notification will tell you when it is your turn, even if this page is in the background.",
  quotaNote:
    "A place in the waiting room does not guarantee that you can submit an application, and a number higher than the number of places does not mean that the quota is reached.",

  turnTitle: "It's your turn!",
  turnText: "You are being taken to the sign-in page.",
  turnLink: "Go to the sign-in page",

  admittedTitle: "You have been admitted",
  admittedText: "Sign in to your account and submit your application.",
  submittedTitle: "Your application was submitted",
  submittedText: "A confirmation will be in your account, in the document “Consultation des documents”.",
  releasedTitle: "Your session has ended",
  releasedText: "Your access to the sign-in page has ended.",

  expiredTitle: "Your time is up",
  expiredText: "Your turn passed without an application submitted within the 10 minutes.",
  retry: "Take a new number",
  retryText: "A new number puts you at the end of the line.",

  closedTitle: "The intake is closed",
  closedQuota: "The maximum number of applications has been reached: no more applications can be submitted for this intake.",
  closedOperator: "The Ministry has closed the intake: no more applications can be submitted.",
  closedAfter: "You may close this page.",

  footer: "Times are shown in Montreal time.",

  live: {
    titleTurn: "It's your turn! — Waiting room",
    title: "Virtual waiting room — Mon projet Québec",
    zone: "Montreal time",
    net: "Connection lost: reconnecting… Your number is kept.",
    reconnected: "Connection restored.",
    paused: "Calls are paused for the moment. Your place is kept.",
    notOpenYet: "The waiting room is not open yet; retrying in a moment.",
    tooMany: "Too many attempts; retrying in a few seconds.",
    left: "You no longer have a number in this line. You can take a new one.",
    claiming: "Confirming your turn…",
    deadline: "You have until {time} ({zone}) to sign in and submit your application.",
    claimBy: "Your turn is held until {time} ({zone}).",
    sessionEnds: "Your 10-minute session ends at {time} ({zone}).",
    announceOpen: "The waiting room is open: you can join the line.",
    announceNumber: "Your number is {number}. Your position: {position}. People ahead of you: {ahead}.",
    announcePosition: "Your position: {position}. People ahead of you: {ahead}.",
    announceTurn: "It's your turn! You are being taken to the sign-in page.",
    notifyTitle: "It's your turn! — Mon projet Québec",
    notifyBody: "Come back to the waiting room: you are being taken to the sign-in page.",
    announceClosed: "The intake is closed.",
    waitingCount: "{n} people are waiting in the line.",
    quota: "Applications accepted: {accepted} of {total}.",
    lessThanMinute: "less than a minute",
    about: "about {d}",
    unknown: "—",
    days: "{n} d",
    solving: "Checking your browser (a few seconds)…",
    proofFailed: "The check did not complete; retrying…",
  },
};

export function roomStrings(lang: Lang): RoomStrings {
  return lang === "en" ? en : fr;
}

/** Fills `{name}` placeholders. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
