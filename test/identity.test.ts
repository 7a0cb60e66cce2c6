// Duplicate applicants. Two keys, both HMACs with IDENTITY_PEPPER: the
// passport key (names, birth date, country of birth, passport number; the
// material of version 1, unchanged) and the person key (the same without the
// passport), so one person with two passports and two accounts is one person.
// The origin may let a reviewed namesake through the person key only.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { identityKeys } from "../src/auth/identity-keys";
import { identityMaterial, personMaterial } from "../src/domain/identity";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import { admissionToken, applicant, counter, createEvent, d1Submissions, DESKTOP_UA, eventually, submissionBody, submit, uniqueEvent } from "./helpers";

const person = { familyName: "Côté-Lévesque", givenNames: "Jean-François", birthDate: "1980-01-31", countryOfBirth: "fr", passportNumber: "12 AB-345" };

describe("identity keys", () => {
  it("keep the passport key of version 1, so rows accepted before still match", () => {
    expect(identityMaterial(person)).toBe("v1|cotelevesque|jeanfrancois|1980-01-31|FR|12AB345");
    // HMAC-SHA256("golden-pepper", that material), computed outside the project.
    expect(identityKeys("golden-pepper", person).identityKey).toBe("3b1be86c9072b200146f483d981fa3bc9a865ae49639672ab2702cc2c5820289");
  });

  it("key a person without the passport, folded the same way, under its own prefix", () => {
    expect(personMaterial(person)).toBe("v2p|cotelevesque|jeanfrancois|1980-01-31|FR");
    const keys = identityKeys("golden-pepper", person);
    // HMAC-SHA256("golden-pepper", that material), computed outside the project (openssl dgst -sha256 -hmac).
    expect(keys.personKey).toBe("f79f7123ab6f76ac122d428bedbbd05b8c737086611b02b92bd49453dba0fa29");
    expect(keys.personKey).not.toBe(keys.identityKey);
    const same = identityKeys("golden-pepper", { ...person, familyName: "COTE LEVESQUE", givenNames: "jean francois", countryOfBirth: " FR ", passportNumber: "ZZ999" });
    expect(same.personKey).toBe(keys.personKey);
    expect(same.identityKey).not.toBe(keys.identityKey);
    for (const other of [{ birthDate: "1980-01-30" }, { countryOfBirth: "BE" }, { familyName: "Côté" }, { givenNames: "Jean" }]) {
      expect(identityKeys("golden-pepper", { ...person, ...other }).personKey).not.toBe(keys.personKey);
    }
    expect(identityKeys("another-pepper", person).personKey).not.toBe(keys.personKey);
  });
});

describe("duplicates by person", () => {
  it("refuses one person with two passports and two accounts (409 duplicate, by person), without taking a place", async () => {
    const id = uniqueEvent("person");
    await createEvent(id, { quota: 10 });
    const first = await submit(id, submissionBody(await admissionToken(id), { accountId: "acct-1", applicant: applicant(person) }));
    expect(first.res.status).toBe(201);
    // Another passport (a second nationality), another account, the name written another way.
    const second = applicant({ ...person, familyName: "COTE LEVESQUE", givenNames: "Jean François", countryOfBirth: "FR", passportNumber: "CA7654321" });
    const r = await submit(id, submissionBody(await admissionToken(id), { accountId: "acct-2", applicant: second }));
    expect(r.res.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: "duplicate", by: "person", firstReceiptId: first.body.receipt.id });
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedDuplicates: 1, namesakeOverrides: 0 });
    // The same through the always-eligible door.
    const eligible = await submit(id, { accountId: "acct-3", applicationId: "app-3", applicant: applicant({ ...person, passportNumber: "X1234" }), eligibility: "temporary_resident", device: { userAgent: DESKTOP_UA } }, "/guichet/api/eligible-submissions");
    expect(eligible.res.status).toBe(409);
    expect(eligible.body.error.by).toBe("person");
  });

  it("accepts a namesake the origin reviewed, records the review, and counts the override", async () => {
    const id = uniqueEvent("namesake");
    await createEvent(id, { quota: 10 });
    const first = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant(person) }));
    expect(first.res.status).toBe(201);
    const namesake = applicant({ ...person, passportNumber: "FR0000001", email: "autre@example.org" });
    const refused = await submit(id, submissionBody(await admissionToken(id), { applicant: namesake }));
    expect(refused.body.error).toMatchObject({ code: "duplicate", by: "person" });

    const reviewed = await submit(id, submissionBody(await admissionToken(id), { applicant: namesake, namesakeReviewed: true, namesakeReviewId: "review-2016-0042" }));
    expect(reviewed.res.status).toBe(201);
    expect(reviewed.body.receipt.rank).toBe(2);
    expect(await counter(id).stats()).toMatchObject({ accepted: 2, refusedDuplicates: 1, namesakeOverrides: 1 });

    // A reviewed submission without a match is accepted and recorded, but overrode nothing.
    const unneeded = await submit(id, submissionBody(await admissionToken(id), { namesakeReviewed: true, namesakeReviewId: "review-2016-0043" }));
    expect(unneeded.res.status).toBe(201);
    expect(await counter(id).stats()).toMatchObject({ accepted: 3, namesakeOverrides: 1 });

    const rows = await eventually(() => d1Submissions(id), (rows) => rows.length === 3);
    expect(rows.map((r) => r.namesake_review_id)).toEqual([null, "review-2016-0042", "review-2016-0043"]);
    expect(rows[0]!.person_key).toBe(rows[1]!.person_key);
    expect(rows[0]!.identity_key).not.toBe(rows[1]!.identity_key);
    const counted = await runInDurableObject(counter(id), (_: QuotaCounter, state) =>
      state.storage.sql.exec("SELECT namesake_review_id FROM submissions WHERE id = ?", reviewed.body.receipt.id).one(),
    );
    expect(counted.namesake_review_id).toBe("review-2016-0042");
  });

  it("never lets a review through the passport key or the account", async () => {
    const id = uniqueEvent("namesakeno");
    await createEvent(id, { quota: 10 });
    const first = await submit(id, submissionBody(await admissionToken(id), { accountId: "acct-x", applicant: applicant(person) }));
    expect(first.res.status).toBe(201);
    const review = { namesakeReviewed: true, namesakeReviewId: "review-1" };
    const samePassport = await submit(id, submissionBody(await admissionToken(id), { ...review, applicant: applicant({ ...person, email: "x@example.org" }) }));
    expect(samePassport.res.status).toBe(409);
    expect(samePassport.body.error.by).toBe("identity");
    const sameAccount = await submit(id, submissionBody(await admissionToken(id), { ...review, accountId: "acct-x" }));
    expect(sameAccount.res.status).toBe(409);
    expect(sameAccount.body.error.by).toBe("account");
    const sameAccountNamesake = await submit(id, submissionBody(await admissionToken(id), { ...review, accountId: "acct-x", applicant: applicant({ ...person, passportNumber: "Z9876" }) }));
    expect(sameAccountNamesake.body.error.by).toBe("account");
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedDuplicates: 3, namesakeOverrides: 0 });
  });

  it("wants the review's reference with the flag, and the flag with a reference (422)", async () => {
    const id = uniqueEvent("namesake422");
    await createEvent(id, { quota: 10 });
    for (const extra of [{ namesakeReviewed: true }, { namesakeReviewed: true, namesakeReviewId: null }, { namesakeReviewId: "review-1" }, { namesakeReviewed: false, namesakeReviewId: "review-1" }, { namesakeReviewed: true, namesakeReviewId: "" }]) {
      const r = await submit(id, submissionBody(await admissionToken(id), extra));
      expect(r.res.status).toBe(422);
      expect(r.body.error).toMatchObject({ code: "invalid_body", field: "namesakeReviewId" });
    }
    const wrongType = await submit(id, submissionBody(await admissionToken(id), { namesakeReviewed: "yes", namesakeReviewId: "review-1" }));
    expect(wrongType.res.status).toBe(422);
  });

  it("accepts exactly one of 200 concurrent submissions of one person with distinct passports and accounts", async () => {
    const id = uniqueEvent("personrace");
    await createEvent(id, { quota: 500 });
    const bodies = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => submissionBody(await admissionToken(id), { applicant: applicant({ ...person, passportNumber: `PP${i}` }) })),
    );
    const results = await Promise.all(bodies.map((b) => submit(id, b)));
    const created = results.filter((r) => r.res.status === 201);
    const duplicates = results.filter((r) => r.res.status === 409 && r.body.error.code === "duplicate" && r.body.error.by === "person");
    expect(created.length).toBe(1);
    expect(duplicates.length).toBe(199);
    expect(duplicates.every((r) => r.body.error.firstReceiptId === created[0]!.body.receipt.id)).toBe(true);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedDuplicates: 199 });
    await eventually(() => counter(id).stats(), (s) => s?.outbox.pending === 0);
    expect((await d1Submissions(id)).length).toBe(1);
  });

  it("matches rows accepted before the person key by their passport key alone", async () => {
    const id = uniqueEvent("personv1");
    await createEvent(id, { quota: 10 });
    const first = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant(person) }));
    expect(first.res.status).toBe(201);
    // As a row written before version 2: no person key.
    await runInDurableObject(counter(id), (_: QuotaCounter, state) => state.storage.sql.exec("UPDATE submissions SET person_key = NULL"));
    const samePassport = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant(person) }));
    expect(samePassport.body.error).toMatchObject({ code: "duplicate", by: "identity", firstReceiptId: first.body.receipt.id });
    const otherPassport = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant({ ...person, passportNumber: "NEW1" }) }));
    expect(otherPassport.res.status).toBe(201);
  });
});
