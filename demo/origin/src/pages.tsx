/** @jsxImportSource hono/jsx */
// The demo's pages, in French, plain HTML forms (no script): the landing
// page, login, security questions, the application's last page, the outcome
// of a submission, and "Consultation des documents".
import type { Child, FC } from "hono/jsx";
import { ACCOUNTS, type DemoAccount } from "./accounts";
import type { StoredReceipt } from "./files";
import { formatNumber, montrealDate, montrealDateTime, rankLine, statusLabel } from "./format";
import type { GatewayReceipt, SubmissionStatus } from "./gateway";
import type { Notice } from "./messages";
import type { Admission } from "./trust";

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f5f6f8;line-height:1.5}
header{background:#095797;color:#fff;padding:.75rem 1.5rem}
header a{color:#fff}
.demo{background:#fff3cd;color:#5c4400;padding:.4rem 1.5rem;font-size:.9rem;border-bottom:1px solid #e0c97a}
nav ul{list-style:none;margin:.25rem 0 0;padding:0;display:flex;gap:1.25rem;flex-wrap:wrap}
main{max-width:46rem;margin:1.5rem auto;background:#fff;padding:1.5rem 2rem;border-radius:4px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.6rem;margin-top:0}
label{display:block;font-weight:600;margin:.9rem 0 .25rem}
input[type=text],input[type=password]{font:inherit;padding:.45rem;width:100%;max-width:24rem;box-sizing:border-box;border:1px solid #6b778a;border-radius:3px}
input:focus,button:focus,a:focus{outline:3px solid #ffb81c;outline-offset:2px}
button{font:inherit;padding:.55rem 1.2rem;margin-top:1rem;border-radius:3px;border:1px solid #095797;background:#095797;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#095797}
.check{display:flex;gap:.5rem;align-items:flex-start;font-weight:600;margin-top:.5rem}
.check input{margin-top:.35rem}
.rep:not(:has(input:checked))+.rep-id{display:none}
fieldset{border:1px solid #c5cad2;border-radius:3px;margin:1.25rem 0;padding:.5rem 1rem 1rem}
.alert{border-left:5px solid #cb381f;background:#fbe9e7;padding:.75rem 1rem;margin:1rem 0}
.ok{border-left:5px solid #4f813d;background:#e9f3e5;padding:.75rem 1rem;margin:1rem 0}
.info{border-left:5px solid #095797;background:#e8f0f8;padding:.75rem 1rem;margin:1rem 0}
.rank{font-size:1.5rem;font-weight:700}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem}
dt{font-weight:600}
dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #c5cad2;padding:.35rem .5rem;text-align:left;vertical-align:top}
.actions{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-end}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
footer{text-align:center;font-size:.85rem;color:#555;margin:2rem 0}
`;

export const Layout: FC<{ title: string; loggedIn?: boolean; children?: Child }> = ({ title, loggedIn, children }) => (
  <html lang="fr">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} — Mon projet Québec (démonstration)`}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <div class="demo" role="note">
        Démonstration pour Guichet : ce site imite Mon projet Québec pour le développement et les tests. Aucune donnée réelle.
      </div>
      <header>
        <strong>Mon projet Québec</strong>
        <nav aria-label="Navigation principale">
          <ul>
            <li>
              <a href="/">Accueil</a>
            </li>
            <li>
              <a href="/guichet/">Salle d'attente</a>
            </li>
            {loggedIn ? (
              <>
                <li>
                  <a href="/demande">Ma demande</a>
                </li>
                <li>
                  <a href="/documents">Consultation des documents</a>
                </li>
              </>
            ) : null}
          </ul>
        </nav>
      </header>
      <main id="contenu">{children}</main>
      <footer>Ministère de l'Immigration, de la Diversité et de l'Inclusion — démonstration</footer>
    </body>
  </html>
);

const Alert: FC<{ children?: Child }> = ({ children }) => (
  <div class="alert" role="alert">
    {children}
  </div>
);

const ExpiresNote: FC<{ admission: Admission }> = ({ admission }) => (
  <p class="info">
    Votre admission (numéro {formatNumber(admission.num)} dans la file) expire le {montrealDateTime(new Date(admission.exp * 1000).toISOString())}. Vous devez
    entrer votre identifiant, votre mot de passe, les réponses à vos questions de sécurité et soumettre votre demande avant cette heure.
  </p>
);

export const LandingPage: FC = () => (
  <Layout title="Accueil">
    <h1>Mon projet Québec — démonstration</h1>
    <p>
      Ce site joue le rôle de l'application Mon projet Québec derrière <strong>Guichet</strong>, la salle d'attente virtuelle et la passerelle de soumission.
      Le jour de la réception des demandes, les pages de connexion, de demande et de documents ne sont accessibles qu'aux candidats admis par la salle d'attente.
    </p>
    <p>
      <a href="/guichet/">Entrer dans la salle d'attente virtuelle</a> : prenez un numéro à l'ouverture ; à votre tour, un signal sonore vous avertit et vous
      êtes dirigé vers la page de connexion. Vous aurez alors 10 minutes pour vous connecter, répondre à vos questions de sécurité et soumettre votre demande.
    </p>
    <h2>Comptes de démonstration</h2>
    <p>Utilisez l'un de ces comptes. Les réponses aux questions de sécurité ne tiennent compte ni des majuscules ni des accents.</p>
    <table>
      <caption class="visually-hidden">Comptes de démonstration</caption>
      <thead>
        <tr>
          <th scope="col">Nom d'utilisateur</th>
          <th scope="col">Mot de passe</th>
          <th scope="col">Réponses aux questions de sécurité</th>
          <th scope="col">Candidat</th>
        </tr>
      </thead>
      <tbody>
        {ACCOUNTS.map((a) => (
          <tr>
            <td>
              <code>{a.userName}</code>
            </td>
            <td>
              <code>{a.password}</code>
            </td>
            <td>
              {a.questions[0].answer} ; {a.questions[1].answer}
            </td>
            <td>
              {a.applicant.givenNames} {a.applicant.familyName}, né(e) le {a.applicant.birthDate} ({a.applicant.countryOfBirth}), passeport {a.applicant.passportNumber}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <p>
      Les comptes <code>jf.cote</code> et <code>jf.cote2</code> appartiennent à la même personne, écrite autrement : le second à soumettre est refusé comme doublon.
    </p>
  </Layout>
);

export const LoginPage: FC<{ admission: Admission; error?: string; userName?: string }> = ({ admission, error, userName }) => (
  <Layout title="Connexion">
    <h1>Connexion à votre compte</h1>
    <ExpiresNote admission={admission} />
    {error ? <Alert>{error}</Alert> : null}
    <form method="post" action="/connexion">
      <label for="userName">Nom d'utilisateur</label>
      <input type="text" id="userName" name="userName" autocomplete="username" required value={userName ?? ""} />
      <label for="password">Mot de passe</label>
      <input type="password" id="password" name="password" autocomplete="current-password" required />
      <button type="submit">Se connecter</button>
    </form>
  </Layout>
);

export const QuestionsPage: FC<{ account: DemoAccount; admission: Admission; error?: string }> = ({ account, admission, error }) => (
  <Layout title="Questions de sécurité">
    <h1>Questions de sécurité</h1>
    <ExpiresNote admission={admission} />
    {error ? <Alert>{error}</Alert> : null}
    <form method="post" action="/connexion/questions">
      <label for="answer1">{account.questions[0].question}</label>
      <input type="text" id="answer1" name="answer1" autocomplete="off" required />
      <label for="answer2">{account.questions[1].question}</label>
      <input type="text" id="answer2" name="answer2" autocomplete="off" required />
      <button type="submit">Valider</button>
    </form>
  </Layout>
);

export const ApplicationPage: FC<{
  account: DemoAccount;
  admission: Admission;
  device: string | null;
  onFile: StoredReceipt | null;
  error?: string;
  signed?: boolean;
  representativeId?: string;
}> = ({ account, admission, device, onFile, error, signed, representativeId }) => {
  const a = account.applicant;
  const phoneOrTablet = device === "mobile" || device === "tablet" || admission.dev !== "desktop";
  return (
    <Layout title="Demande de certificat de sélection" loggedIn>
      <h1>Demande de certificat de sélection du Québec</h1>
      <p>Dernière page du formulaire : vérifiez le sommaire de votre demande, puis soumettez-la.</p>
      <ExpiresNote admission={admission} />
      {phoneOrTablet ? (
        <Alert>
          Seules les demandes faites à partir d'un ordinateur personnel seront considérées ; les demandes faites à partir d'une tablette ou d'un téléphone
          seront refusées.
        </Alert>
      ) : null}
      <h2>Sommaire</h2>
      <dl>
        <dt>Requérant principal</dt>
        <dd>
          {a.givenNames} {a.familyName}
        </dd>
        <dt>Date de naissance</dt>
        <dd>{a.birthDate}</dd>
        <dt>Pays de naissance</dt>
        <dd>{a.countryOfBirth}</dd>
        <dt>Passeport</dt>
        <dd>{a.passportNumber}</dd>
        <dt>Courriel</dt>
        <dd>{a.email}</dd>
        <dt>Programme</dt>
        <dd>{account.summary.program}</dd>
        <dt>Profession</dt>
        <dd>{account.summary.occupation}</dd>
        <dt>Scolarité</dt>
        <dd>{account.summary.education}</dd>
        <dt>Français</dt>
        <dd>{account.summary.french}</dd>
        <dt>Personnes à charge</dt>
        <dd>{account.summary.dependants}</dd>
        <dt>Numéro de la demande</dt>
        <dd>{account.applicationId}</dd>
      </dl>
      {onFile ? (
        <div class="ok" role="status">
          <p>
            Votre demande a déjà été soumise. {rankLine(onFile.rank, onFile.quota)}.
          </p>
          <p>
            <a href="/documents">Consultation des documents</a>
          </p>
        </div>
      ) : (
        <>
          {error ? <Alert>{error}</Alert> : null}
          <form method="post" action="/soumission">
            <fieldset>
              <legend>Signature de la demande</legend>
              <div class="rep">
                <label class="check" for="signedByRepresentative">
                  <input type="checkbox" id="signedByRepresentative" name="signedByRepresentative" value="1" checked={signed === true} />
                  L'avocat au dossier peut signer la demande au nom du client
                </label>
              </div>
              <div class="rep-id">
                <label for="representativeId">Numéro du représentant (membre du Barreau ou consultant), obligatoire si la case est cochée</label>
                <input type="text" id="representativeId" name="representativeId" autocomplete="off" value={representativeId ?? ""} />
              </div>
            </fieldset>
            <button type="submit">Soumettre la demande</button>
          </form>
          <form method="post" action="/demande/quitter">
            <button type="submit" class="secondary">
              Quitter sans soumettre
            </button>
          </form>
        </>
      )}
    </Layout>
  );
};

export const ReceiptPage: FC<{ receipt: GatewayReceipt; replay: boolean }> = ({ receipt, replay }) => (
  <Layout title="Demande soumise" loggedIn>
    <h1>Votre demande a été soumise</h1>
    <div class="ok" role="status">
      {replay ? <p>Cette demande avait déjà été reçue : voici le même accusé de réception.</p> : null}
      <p class="rank">{rankLine(receipt.rank, receipt.quota)}</p>
      <p>Numéro de la demande : {receipt.id}</p>
      <p>Reçue le {montrealDateTime(receipt.acceptedAt)}.</p>
    </div>
    <p>
      Vous avez jusqu'au {montrealDate(receipt.paymentDueAt)} (30 jours) pour payer les frais ; sans paiement dans ce délai, la demande sera supprimée. La
      confirmation se trouve dans <a href="/documents">Consultation des documents</a>.
    </p>
  </Layout>
);

export const NoticePage: FC<{ notice: Notice; loggedIn?: boolean }> = ({ notice, loggedIn }) => (
  <Layout title={notice.title} loggedIn={loggedIn}>
    <h1>{notice.title}</h1>
    <Alert>{notice.message}</Alert>
    <p class="actions">
      {notice.retry ? <a href="/demande">Revenir à la demande et réessayer</a> : null}
      {notice.backToRoom ? <a href="/guichet/">Retourner à la salle d'attente virtuelle</a> : null}
      {!notice.retry && !notice.backToRoom ? <a href="/">Retour à l'accueil</a> : null}
    </p>
  </Layout>
);

export const MessagePage: FC<{ title: string; message: string; ok: boolean }> = ({ title, message, ok }) => (
  <Layout title={title}>
    <h1>{title}</h1>
    {ok ? (
      <p class="ok" role="status">
        {message}
      </p>
    ) : (
      <Alert>{message}</Alert>
    )}
    <p>
      <a href="/">Retour à l'accueil</a>
    </p>
  </Layout>
);

export const DocumentsPage: FC<{ account: DemoAccount; receipt: StoredReceipt | null; live: SubmissionStatus | null; error?: string }> = ({
  account,
  receipt,
  live,
  error,
}) => {
  const current = live?.kind === "found" ? live.submission : null;
  return (
    <Layout title="Consultation des documents" loggedIn>
      <h1>Consultation des documents</h1>
      <p>
        Compte <code>{account.userName}</code> — {account.applicant.givenNames} {account.applicant.familyName}
      </p>
      {error ? <Alert>{error}</Alert> : null}
      {receipt === null ? (
        <p class="info">Aucun document pour le moment : votre demande n'a pas encore été soumise.</p>
      ) : (
        <section aria-labelledby="confirmation">
          <h2 id="confirmation">Confirmation de réception de la demande</h2>
          <p class="rank">{rankLine(receipt.rank, receipt.quota)}</p>
          <dl>
            <dt>Numéro de la demande</dt>
            <dd>{receipt.id}</dd>
            <dt>Nombre maximal de demandes</dt>
            <dd>{formatNumber(receipt.quota)}</dd>
            <dt>Reçue le</dt>
            <dd>{montrealDateTime(receipt.acceptedAt)}</dd>
            <dt>Frais à payer avant le</dt>
            <dd>{montrealDate(receipt.paymentDueAt)}</dd>
            <dt>Statut</dt>
            <dd>{current ? statusLabel(current.status) : live?.kind === "not_found" ? "Introuvable" : "Statut indisponible pour le moment ; réessayez plus tard"}</dd>
            {current?.paidAt ? (
              <>
                <dt>Paiement reçu le</dt>
                <dd>{montrealDateTime(current.paidAt)}</dd>
              </>
            ) : null}
          </dl>
          {current?.status === "paid" ? (
            <p class="ok" role="status">
              Confirmation de paiement : les frais ont été payés ; votre demande est comptabilisée dans le nombre maximal de demandes à recevoir.
            </p>
          ) : null}
          {current?.status === "accepted" ? (
            <form method="post" action="/documents/paiement">
              <p>Payez les frais dans les 30 jours pour que votre demande soit officiellement comptabilisée.</p>
              <button type="submit">Payer les frais</button>
            </form>
          ) : null}
        </section>
      )}
    </Layout>
  );
};
