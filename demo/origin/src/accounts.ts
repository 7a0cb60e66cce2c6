// The seeded demo accounts (documented in the README): user name, password,
// two security questions, and the application each one has ready to submit.
// In code on purpose: the demo has no account creation ("/inscription" is
// closed during the intake anyway), and these values are public test data.

export interface Applicant {
  familyName: string;
  givenNames: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** ISO 3166-1 alpha-2 */
  countryOfBirth: string;
  passportNumber: string;
  email: string;
}

export interface SecurityQuestion {
  question: string;
  answer: string;
}

export interface DemoAccount {
  /** What the candidate types to log in. */
  userName: string;
  password: string;
  questions: readonly [SecurityQuestion, SecurityQuestion];
  /** The account id the gateway sees (one accepted submission per account). */
  accountId: string;
  applicationId: string;
  applicant: Applicant;
  /** A few lines of the application, shown on its last page. */
  summary: { program: string; occupation: string; education: string; french: string; dependants: number };
}

export const ACCOUNTS: readonly DemoAccount[] = [
  {
    userName: "marie.tremblay",
    password: "Montreal-2016",
    questions: [
      { question: "Quel était le nom de votre premier animal de compagnie ?", answer: "Minou" },
      { question: "Dans quelle ville votre mère est-elle née ?", answer: "Lyon" },
    ],
    accountId: "mpq-000101",
    applicationId: "app-2016-0101",
    applicant: { familyName: "Tremblay", givenNames: "Marie Claire", birthDate: "1985-04-02", countryOfBirth: "FR", passportNumber: "15FR12345", email: "marie.tremblay@example.org" },
    summary: { program: "Programme régulier des travailleurs qualifiés", occupation: "Infirmière", education: "Baccalauréat en sciences infirmières", french: "Avancé (TEF C1)", dependants: 0 },
  },
  {
    userName: "jf.cote",
    password: "Erable-2016",
    questions: [
      { question: "Quel est le nom de votre école primaire ?", answer: "Saint-Exupéry" },
      { question: "Quel est le deuxième prénom de votre père ?", answer: "Gérard" },
    ],
    accountId: "mpq-000102",
    applicationId: "app-2016-0102",
    applicant: { familyName: "Côté-Lévesque", givenNames: "Jean-François", birthDate: "1980-01-31", countryOfBirth: "FR", passportNumber: "12AB34567", email: "jf.cote@example.org" },
    summary: { program: "Programme régulier des travailleurs qualifiés", occupation: "Ingénieur civil", education: "Diplôme d'ingénieur", french: "Langue maternelle", dependants: 2 },
  },
  {
    // The same person as jf.cote under a second account: the gateway refuses
    // whichever of the two submits second as a duplicate ("les doublons seront
    // repérés et supprimés").
    userName: "jf.cote2",
    password: "Erable-2016",
    questions: [
      { question: "Quel est le nom de votre école primaire ?", answer: "Saint-Exupéry" },
      { question: "Quel est le deuxième prénom de votre père ?", answer: "Gérard" },
    ],
    accountId: "mpq-000177",
    applicationId: "app-2016-0177",
    applicant: { familyName: "COTE LEVESQUE", givenNames: "jean francois", birthDate: "1980-01-31", countryOfBirth: "fr", passportNumber: "12 ab-34567", email: "jfcl@example.net" },
    summary: { program: "Programme régulier des travailleurs qualifiés", occupation: "Ingénieur civil", education: "Diplôme d'ingénieur", french: "Langue maternelle", dependants: 2 },
  },
  {
    userName: "amina.diallo",
    password: "Baobab-2016",
    questions: [
      { question: "Quel est le nom de votre meilleure amie d'enfance ?", answer: "Awa" },
      { question: "Quel était votre plat préféré enfant ?", answer: "Thiéboudienne" },
    ],
    accountId: "mpq-000103",
    applicationId: "app-2016-0103",
    applicant: { familyName: "Diallo", givenNames: "Amina", birthDate: "1990-09-15", countryOfBirth: "SN", passportNumber: "A01234567", email: "amina.diallo@example.org" },
    summary: { program: "Programme régulier des travailleurs qualifiés", occupation: "Comptable", education: "Maîtrise en comptabilité", french: "Langue maternelle", dependants: 1 },
  },
  {
    userName: "wei.zhang",
    password: "Lotus-2016",
    questions: [
      { question: "Dans quelle rue avez-vous grandi ?", answer: "Nanjing Lu" },
      { question: "Quel est le nom de votre premier employeur ?", answer: "Haier" },
    ],
    accountId: "mpq-000104",
    applicationId: "app-2016-0104",
    applicant: { familyName: "Zhang", givenNames: "Wei", birthDate: "1988-12-03", countryOfBirth: "CN", passportNumber: "E12345678", email: "wei.zhang@example.org" },
    summary: { program: "Programme régulier des travailleurs qualifiés", occupation: "Analyste en informatique", education: "Maîtrise en informatique", french: "Intermédiaire (TCF B2)", dependants: 0 },
  },
  {
    userName: "lucia.garcia",
    password: "Jacaranda-2016",
    questions: [
      { question: "Quel est le prénom de votre grand-mère maternelle ?", answer: "Dolores" },
      { question: "Quel était le nom de votre premier professeur ?", answer: "Señor Ramírez" },
    ],
    accountId: "mpq-000105",
    applicationId: "app-2016-0105",
    applicant: { familyName: "García López", givenNames: "Lucía", birthDate: "1992-06-21", countryOfBirth: "MX", passportNumber: "G98765432", email: "lucia.garcia@example.org" },
    summary: { program: "Programme régulier des travailleurs qualifiés", occupation: "Enseignante au primaire", education: "Licenciatura en educación", french: "Avancé (TCF C1)", dependants: 0 },
  },
];

export function accountByUserName(userName: string): DemoAccount | undefined {
  const wanted = userName.trim().toLowerCase();
  return ACCOUNTS.find((a) => a.userName === wanted);
}

export function accountById(accountId: string): DemoAccount | undefined {
  return ACCOUNTS.find((a) => a.accountId === accountId);
}

/**
 * Answers to security questions are compared folded: case, accents, spaces
 * and punctuation do not count ("saint exupery" = "Saint-Exupéry").
 */
export function foldAnswer(answer: string): string {
  return answer
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, "");
}

const encoder = new TextEncoder();

/** Constant-time comparison: both sides hashed first, so neither length nor content leaks. */
async function same(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(given)), crypto.subtle.digest("SHA-256", encoder.encode(expected))]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The account these credentials open, or null (same answer for an unknown user and a wrong password). */
export async function checkPassword(userName: string, password: string): Promise<DemoAccount | null> {
  const account = accountByUserName(userName);
  const ok = await same(password, account?.password ?? "\u0000no-such-account");
  return account && ok ? account : null;
}

/** Whether both answers match, folded. */
export async function checkAnswers(account: DemoAccount, answers: readonly [string, string]): Promise<boolean> {
  const results = await Promise.all(account.questions.map((q, i) => same(foldAnswer(answers[i] ?? ""), foldAnswer(q.answer))));
  return results.every(Boolean);
}
