// GET /guichet/fairness: how the pre-queue's draw works, and a button that
// checks it in this browser (fairness.client.js, the same check as
// scripts/verify-shuffle.mjs) without trusting Guichet's own computation.
import type { Lang } from "../../http/errors";
import { DataScript, htmlDocument, Page } from "../html";
import { fairnessStrings, type FairnessStrings } from "./strings";
import { FAIRNESS_CSS } from "./styles";

export interface FairnessPageProps {
  lang: Lang;
  /** The published draw's path on this site, for the checker. */
  api: string;
  /** The same as an absolute URL, for the command line. */
  apiUrl: string;
  /** This response's CSP nonce. */
  nonce: string;
  /** The checker script's URL, with its version. */
  scriptSrc: string;
}

/** What the checker receives: where the draw is published, and the words it writes. */
export interface FairnessData {
  api: string;
  strings: FairnessStrings["checker"];
}

export function renderFairnessPage(p: FairnessPageProps): string {
  return htmlDocument(<FairnessPage {...p} />);
}

function FairnessPage(p: FairnessPageProps) {
  const t = fairnessStrings(p.lang);
  const data: FairnessData = { api: p.api, strings: t.checker };
  return (
    <Page lang={p.lang} title={t.title} nonce={p.nonce} css={FAIRNESS_CSS}>
      <main>
        <h1>{t.title}</h1>
        <p>{t.intro}</p>
        <p>
          <label for="mine">{t.yourId}</label>
          <br />
          <input id="mine" autocomplete="off" spellcheck={false} />
        </p>
        <p>
          <button id="check" type="button">
            {t.check}
          </button>
        </p>
        <p id="result" role="status" aria-live="polite"></p>
        <p>{t.script}</p>
        <pre>node scripts/verify-shuffle.mjs {p.apiUrl}</pre>
      </main>
      <DataScript id="fairness-data" nonce={p.nonce} value={data} />
      <script src={p.scriptSrc} nonce={p.nonce} defer></script>
    </Page>
  );
}
