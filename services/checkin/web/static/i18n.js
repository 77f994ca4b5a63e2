// Texts of the check-in page: Bahasa Indonesia first, English on request (kept in localStorage).

const TEXTS = {
  id: {
    "insecure": "Halaman ini tidak dibuka lewat HTTPS: peramban tidak akan memberikan lokasi.",
    "signin.title": "Masuk",
    "signin.help": "Tempel token Anda. Untuk pengembangan: hadir token --role employee --nip … --unit …",
    "signin.label": "Token",
    "signin.button": "Masuk",
    "signin.invalid": "Token tidak dapat dibaca.",
    "signin.expired": "Token sudah kedaluwarsa. Minta token baru.",
    "profile.nip": "NIP",
    "profile.signout": "Keluar",
    "profile.unknown": "NIP ini belum dikenal layanan check-in (data pegawai mungkin belum tersinkron).",
    "profile.inactive": "NIP ini tidak aktif.",
    "profile.policy": "SE {number} (versi {version})",
    "profile.nopolicy": "Belum ada surat edaran yang berlaku hari ini.",
    "profile.unit": "Unit {unit}",
    "net.online": "Daring",
    "net.offline": "Luring",
    "queue.label": "Antrean:",
    "queue.empty": "semua terkirim",
    "queue.waiting": "menunggu dikirim",
    "queue.retry": "menunggu dikirim · coba lagi {time}",
    "queue.send": "Kirim sekarang",
    "queue.rejected": "Ditolak server",
    "queue.dismiss": "Tutup",
    "kind.attendance": "Absensi",
    "kind.location": "Lokasi",
    "kind.activity_report": "Laporan kegiatan",
    "kind.video_conference": "Rapat video",
    "attendance.help": "Tandai kehadiran Anda hari ini (lokasi ikut dikirim bila tersedia).",
    "attendance.button": "Absen hadir",
    "location.help": "Bagikan lokasi Anda dari rumah sesuai jadwal.",
    "location.button": "Kirim lokasi",
    "location.locating": "Mencari lokasi…",
    "location.fix": "Lokasi {lat}, {lon} · akurasi ±\u00a0{accuracy}\u00a0m",
    "location.denied": "Izin lokasi ditolak. Izinkan lokasi untuk halaman ini di pengaturan peramban.",
    "location.unavailable": "Lokasi tidak tersedia: {error}",
    "activity.label": "Apa yang Anda kerjakan hari ini?",
    "activity.attachment": "Tautan lampiran (opsional)",
    "activity.button": "Kirim laporan",
    "meeting.label": "Tautan atau ID rapat",
    "meeting.button": "Saya hadir rapat",
    "sent": "{kind} terkirim.",
    "queued": "{kind} disimpan di antrean dan akan dikirim saat koneksi kembali.",
    "today.title": "Check-in hari ini",
    "today.refresh": "Muat ulang",
    "today.empty": "Belum ada check-in hari ini.",
    "today.window": "jendela {window}",
    "today.distance": "{distance} m dari titik geofence",
    "today.late": "terlambat {minutes} menit",
    "status.pending": "Menunggu penilaian",
    "status.on_time": "Tepat waktu",
    "status.late": "Terlambat",
    "status.outside_window": "Di luar jendela",
    "status.not_required": "Tidak diwajibkan",
    "status.queued": "Di antrean",
    "geofence.inside": "di dalam geofence",
    "geofence.outside": "di luar geofence",
    "badge.outside": "di luar geofence",
    "geofence.not_checked": "geofence tidak diperiksa",
    "suspicious": "mencurigakan",
    "error.auth": "Sesi berakhir atau token tidak sah. Silakan masuk lagi; antrean tetap disimpan.",
    "error.forbidden": "Ditolak: {detail}",
    "error.network": "Tidak dapat menghubungi server.",
    "footer": "Hadir · check-in ASN bekerja dari rumah",
  },
  en: {
    "insecure": "This page is not served over HTTPS: the browser will not share your location.",
    "signin.title": "Sign in",
    "signin.help": "Paste your token. For development: hadir token --role employee --nip … --unit …",
    "signin.label": "Token",
    "signin.button": "Sign in",
    "signin.invalid": "The token cannot be read.",
    "signin.expired": "The token has expired. Ask for a new one.",
    "profile.nip": "NIP",
    "profile.signout": "Sign out",
    "profile.unknown": "The check-in service does not know this NIP yet (the directory may not have synchronised).",
    "profile.inactive": "This NIP is inactive.",
    "profile.policy": "Circular letter {number} (version {version})",
    "profile.nopolicy": "No circular letter applies today.",
    "profile.unit": "Unit {unit}",
    "net.online": "Online",
    "net.offline": "Offline",
    "queue.label": "Queue:",
    "queue.empty": "everything sent",
    "queue.waiting": "waiting to be sent",
    "queue.retry": "waiting to be sent · retry {time}",
    "queue.send": "Send now",
    "queue.rejected": "Rejected by the server",
    "queue.dismiss": "Dismiss",
    "kind.attendance": "Attendance",
    "kind.location": "Location",
    "kind.activity_report": "Activity report",
    "kind.video_conference": "Video conference",
    "attendance.help": "Mark your attendance today (your location goes with it when available).",
    "attendance.button": "I am present",
    "location.help": "Share your location from home on schedule.",
    "location.button": "Send location",
    "location.locating": "Locating…",
    "location.fix": "Location {lat}, {lon} · accuracy ±\u00a0{accuracy}\u00a0m",
    "location.denied": "Location permission denied. Allow location for this page in the browser settings.",
    "location.unavailable": "Location unavailable: {error}",
    "activity.label": "What did you work on today?",
    "activity.attachment": "Attachment link (optional)",
    "activity.button": "Send report",
    "meeting.label": "Meeting link or ID",
    "meeting.button": "I attended the meeting",
    "sent": "{kind} sent.",
    "queued": "{kind} kept in the queue; it will be sent when the connection returns.",
    "today.title": "Today's check-ins",
    "today.refresh": "Refresh",
    "today.empty": "No check-ins today yet.",
    "today.window": "window {window}",
    "today.distance": "{distance} m from the geofence centre",
    "today.late": "{minutes} min late",
    "status.pending": "Awaiting evaluation",
    "status.on_time": "On time",
    "status.late": "Late",
    "status.outside_window": "Outside any window",
    "status.not_required": "Not required",
    "status.queued": "Queued",
    "geofence.inside": "inside the geofence",
    "geofence.outside": "outside the geofence",
    "badge.outside": "outside the geofence",
    "geofence.not_checked": "geofence not checked",
    "suspicious": "suspicious",
    "error.auth": "Session ended or token invalid. Sign in again; the queue is kept.",
    "error.forbidden": "Refused: {detail}",
    "error.network": "Cannot reach the server.",
    "footer": "Hadir · check-ins of civil servants working from home",
  },
};

const KEY = "hadir.lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "id";

export function language() {
  return lang;
}

export function locale() {
  return lang === "en" ? "en-GB" : "id-ID";
}

export function t(key, vars = {}) {
  const text = TEXTS[lang][key] ?? TEXTS.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function setLanguage(next) {
  lang = next === "en" ? "en" : "id";
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang;
}

/** Fill every element carrying data-i18n with its text in the current language. */
export function translate(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}
