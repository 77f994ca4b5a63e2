// "Data saya / My data": the check-in service's part of the data-subject download
// (GET /v1/me/export?format=json|csv), fetched with the page's bearer token and saved as a file.
// The page calls its own service only: the other services' parts are named in its text.

const FORMATS = new Set(["json", "csv"]);

/** Why a download failed: the HTTP status (0: no answer) and the server's message. */
export class ExportError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function fileName(disposition, format) {
  const match = /filename="([^"]+)"/.exec(disposition || "");
  return match ? match[1] : `hadir-checkin.${format}`;
}

async function reason(response) {
  try {
    const body = await response.json();
    return body.detail?.[0]?.msg || response.statusText;
  } catch {
    return response.statusText;
  }
}

/** Download the caller's export in `format` through `request` (the page's authorised fetch);
 *  resolves to the saved file's name. */
export async function saveExport(request, format) {
  if (!FORMATS.has(format)) throw new ExportError(0, `format ${format}`);
  let response;
  try {
    response = await request(`/v1/me/export?format=${format}`);
  } catch (error) {
    throw new ExportError(0, error.message);
  }
  if (!response.ok) throw new ExportError(response.status, await reason(response));
  const name = fileName(response.headers.get("Content-Disposition"), format);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000); // the browser has taken the file by then
  return name;
}
