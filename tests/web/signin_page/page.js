// A minimal page for the sign-in test: signs in with signin.js and calls a protected API.
import * as signin from "./signin.js";

const $ = (id) => document.getElementById(id);

async function main() {
  const session = await signin.start();
  if (!session) {
    $("who").textContent = "Belum masuk";
    $("signin").hidden = false;
    $("signin").onclick = () => signin.signIn();
    return;
  }
  $("who").textContent = `Masuk sebagai ${session.claims.name || session.claims.sub} (NIP ${session.claims.nip || "-"})`;
  $("signout").hidden = false;
  $("signout").onclick = () => signin.signOut();
  const day = "2026-01-05"; // a fixed day: the answer is the signed-in employee's (empty) list
  const answer = await fetch(`/v1/checkins/mine?date=${day}`, {
    headers: { Authorization: `Bearer ${await signin.token()}` },
  });
  $("api").textContent = `${answer.status} ${await answer.text()}`;
}

main().catch((error) => { $("who").textContent = `Kesalahan: ${error.message}`; });
