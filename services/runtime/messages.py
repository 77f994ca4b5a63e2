"""The one table of error messages every Hadir API answers with: Bahasa Indonesia and English.

A key is an error ``type``: Pydantic's own (``missing``, ``string_too_long``, …), an HTTP
status without a message of its own (``http_404``), or one of the services' (``not_your_unit``).
Templates take the error's context (``{max_length}``); :mod:`services.runtime.errors` chooses
the language of each response.
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- request validation (Pydantic error types) -------------------------------------
    "missing": ("Wajib diisi", "field required"),
    "extra_forbidden": ("Kolom tidak dikenal", "unknown field"),
    "string_type": ("Harus berupa teks", "must be a string"),
    "string_unicode": ("Teks bukan Unicode yang valid", "text is not valid Unicode"),
    "string_too_short": ("Teks terlalu pendek, minimal {min_length} karakter", "text too short, at least {min_length} "
                         "characters"),
    "string_too_long": ("Teks terlalu panjang, maksimal {max_length} karakter", "text too long, at most {max_length} "
                        "characters"),
    "string_pattern_mismatch": ("Format tidak valid", "invalid format"),
    "greater_than_equal": ("Nilai harus paling sedikit {ge}", "must be at least {ge}"),
    "less_than_equal": ("Nilai harus paling banyak {le}", "must be at most {le}"),
    "greater_than": ("Nilai harus lebih dari {gt}", "must be greater than {gt}"),
    "less_than": ("Nilai harus kurang dari {lt}", "must be less than {lt}"),
    "float_type": ("Harus berupa angka", "must be a number"),
    "float_parsing": ("Harus berupa angka", "must be a number"),
    "int_type": ("Harus berupa bilangan bulat", "must be an integer"),
    "int_parsing": ("Harus berupa bilangan bulat", "must be an integer"),
    "int_from_float": ("Harus berupa bilangan bulat", "must be an integer"),
    "finite_number": ("Harus berupa angka terhingga", "must be a finite number"),
    "bool_type": ("Harus true atau false", "must be true or false"),
    "bool_parsing": ("Harus true atau false", "must be true or false"),
    "enum": ("Nilai tidak dikenal; pilihan: {expected}", "unknown value; expected {expected}"),
    "literal_error": ("Nilai tidak dikenal; pilihan: {expected}", "unknown value; expected {expected}"),
    "timezone_aware": ("Waktu harus menyertakan zona waktu, mis. +07:00", "datetime must include a UTC offset, "
                       "e.g. +07:00"),
    "datetime_type": ("Waktu tidak valid (ISO 8601)", "invalid datetime (ISO 8601)"),
    "datetime_parsing": ("Waktu tidak valid (ISO 8601)", "invalid datetime (ISO 8601)"),
    "datetime_from_date_parsing": ("Waktu tidak valid (ISO 8601)", "invalid datetime (ISO 8601)"),
    "date_type": ("Tanggal tidak valid (YYYY-MM-DD)", "invalid date (YYYY-MM-DD)"),
    "date_parsing": ("Tanggal tidak valid (YYYY-MM-DD)", "invalid date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": ("Tanggal tidak valid (YYYY-MM-DD)", "invalid date (YYYY-MM-DD)"),
    "date_from_datetime_inexact": ("Tanggal tidak boleh memuat jam", "a date must not carry a time"),
    "time_type": ("Jam tidak valid (HH:MM)", "invalid time (HH:MM)"),
    "time_parsing": ("Jam tidak valid (HH:MM)", "invalid time (HH:MM)"),
    "uuid_type": ("UUID tidak valid", "invalid UUID"),
    "uuid_parsing": ("UUID tidak valid", "invalid UUID"),
    "model_type": ("Harus berupa objek JSON", "must be a JSON object"),
    "model_attributes_type": ("Harus berupa objek JSON", "must be a JSON object"),
    "dict_type": ("Harus berupa objek JSON", "must be a JSON object"),
    "list_type": ("Harus berupa daftar (array JSON)", "must be a JSON array"),
    "too_short": ("Minimal {min_length} butir", "at least {min_length} item(s)"),
    "too_long": ("Terlalu banyak butir, maksimal {max_length}", "too many items, at most {max_length}"),
    "json_invalid": ("JSON tidak valid", "invalid JSON"),
    "json_type": ("JSON tidak valid", "invalid JSON"),
    "value_error": ("Nilai tidak valid ({detail})", "invalid value ({detail})"),
    "no_nul": ("Teks tidak boleh berisi karakter NUL", "text must not contain NUL characters"),
    # --- HTTP statuses whose exception carries no message of its own --------------------
    "http_400": ("Permintaan tidak valid", "bad request"),
    "http_401": ("Perlu autentikasi", "authentication required"),
    "http_403": ("Tidak diizinkan", "forbidden"),
    "http_404": ("Tidak ditemukan", "not found"),
    "http_405": ("Metode tidak diizinkan", "method not allowed"),
    "http_409": ("Bertentangan dengan data yang ada", "conflict"),
    "http_413": ("Isi permintaan terlalu besar", "content too large"),
    "body_too_large": ("Isi permintaan lebih dari {limit}", "request body larger than {limit}"),
    "http_415": ("Jenis isi tidak didukung", "unsupported media type"),
    "http_422": ("Isian tidak valid", "invalid input"),
    "http_429": ("Terlalu banyak permintaan", "too many requests"),
    "http_500": ("Kesalahan internal", "internal error"),
    "http_503": ("Layanan sementara tidak tersedia", "service temporarily unavailable"),
    "database_unavailable": ("Basis data sementara tidak tersedia, coba lagi", "database temporarily unavailable, "
                             "retry"),
    "concurrent_change": ("Data bertabrakan dengan perubahan lain, ulangi permintaan", "conflicting concurrent "
                          "change, retry the request"),
    # --- credentials -------------------------------------------------------------------
    "token_without_tenant": ("Token tanpa tenant", "token has no tenant"),
    "invalid_token": ("Token tidak valid", "invalid token"),
    "invalid_api_key": ("Kunci API tidak valid", "invalid API key"),
    "one_credential_only": ("Kirim satu kredensial saja", "send either a bearer token or an API key"),
    "credentials_required": ("Perlu token Bearer atau kunci API", "bearer token or API key required"),
    "role_required": ("Peran tidak cukup; perlu salah satu dari: {roles}", "requires one of: {roles}"),
    "jwks_missing": ("Kunci penanda token belum dikonfigurasi", "JWKS not configured"),
    "jwks_unreadable": ("Kunci penanda token tidak terbaca", "JWKS unreadable"),
    "api_keys_unreadable": ("Daftar kunci API tidak terbaca", "API keys unreadable"),
    "rate_limited": ("Terlalu banyak permintaan; coba lagi dalam {seconds} detik",
                     "too many requests; retry in {seconds} s"),
    # --- the services' own ---------------------------------------------------------------
    "not_found": ("{what_id} tidak ditemukan", "{what_en} not found"),
    "not_your_unit": ("Bukan unit Anda", "not your unit"),
    "own_unit_only": ("Kepala unit hanya boleh mengatur unitnya sendiri", "a unit head may act on their own unit "
                      "only"),
    "own_unit_reads_only": ("Hanya unit Anda sendiri", "unit heads see their own unit only"),
    "token_without_unit": ("Token tanpa unit", "token has no unit"),
    "missing_nip": ("Token tanpa NIP pegawai", "the token carries no employee NIP"),
    "unknown_employee": ("NIP {nip} tidak terdaftar di instansi ini", "not an employee of this tenant"),
    "inactive_employee": ("NIP {nip} tidak aktif", "not an active employee"),
    "idempotency_conflict": ("Kunci idempotensi sudah dipakai untuk isi yang lain", "idempotency key already used "
                             "with a different payload"),
    "idempotency_key_format": ("Kunci idempotensi: 1-200 karakter ASCII tanpa spasi", "idempotency key: 1-200 "
                               "printable ASCII characters without spaces"),
    "required_for_kind": ("Wajib diisi untuk jenis {kind}", "required for kind {kind}"),
    "date_out_of_range": ("Tanggal di luar jangkauan", "date out of range"),
    "location_reduced": ("Koordinat check-in ini telah dihapus sesuai masa retensi",
                         "the coordinates of this check-in were removed under the retention period"),
    "checkin_location": ("Lokasi check-in", "check-in location"),
    "tenant_unknown": ("Tenant belum dikenal", "tenant not known yet"),
    "tenant_not_set": ("Data tenant belum diisi (PUT /v1/tenant)", "set the tenant first (PUT /v1/tenant)"),
    "unknown_unit": ("Unit tidak dikenal", "unknown unit"),
    "unit_missing": ("Unit {unit_id!r} tidak ada", "unknown unit {unit_id!r}"),
    "letter_exists": ("Surat edaran {policy_id!r} sudah ada; ubah lewat /versions",
                      "circular letter {policy_id!r} exists; amend it through /versions"),
    "open_ended_latest": ("Versi terakhir berlaku tanpa batas; sebutkan valid_from",
                          "the latest version has no end; give valid_from"),
    "valid_until_before": ("valid_until sebelum {start}", "valid_until is before {start}"),
    "no_letter_on_day": ("Tidak ada surat edaran yang berlaku pada {day}", "no circular letter applies on {day}"),
    "date_outside_range": ("Tanggal di luar {first}..{last}", "date outside {first}..{last}"),
    "end_before_start": ("end sebelum start", "end is before start"),
    "range_too_long": ("Rentang maksimal {days} hari", "at most {days} days"),
    "no_report_yet": ("Belum ada laporan untuk hari itu", "no report for that day yet"),
    "no_such_file": ("Berkas tidak ada", "no such file"),
    "circular_letter": ("Surat edaran", "circular letter"),
    "tenant": ("Tenant", "tenant"),
    "unit": ("Unit", "unit"),
    "employee": ("Pegawai", "employee"),
    "notification": ("Notifikasi", "notification"),
    "subscription": ("Langganan", "subscription"),
    "roster_job": ("Pekerjaan pembuatan jadwal", "roster job"),
    "roster_entry": ("Jadwal {nip} pada {day}", "roster entry of {nip} on {day}"),
    "version_starts_too_early": ("Versi baru tidak boleh mulai sebelum versi {version} ({valid_from})",
                                 "a new version cannot start before version {version} ({valid_from})"),
    "version_not_withdrawable": ("Versi {version} tidak dapat ditarik karena berstatus {status}; hanya versi "
                                 "terjadwal yang belum berlaku yang dapat ditarik",
                                 "version {version} cannot be withdrawn: it is {status}; only a scheduled version "
                                 "not yet in effect can be"),
    "overrides_in_the_way": ("{count} hari telah diubah kepala unit (mis. {nip} pada {day}); kirim "
                             "replace_overrides=true untuk membuat ulang",
                             "{count} day(s) were overridden by the unit head (e.g. {nip} on {day}); send "
                             "replace_overrides=true to regenerate over them"),
    "csv_expected": ("Kirim berkas CSV (text/csv atau multipart/form-data)",
                     "send a CSV file (text/csv or multipart/form-data)"),
    "file_too_large": ("Berkas lebih dari {mb} MB", "file larger than {mb} MB"),
    "no_file_part": ("Bagian 'file' tidak ada", "the form has no 'file' part"),
    "bad_rows": ("Berkas berisi baris yang salah; tidak ada yang disimpan (apply_valid=true untuk menyimpan baris "
                 "yang benar)", "the file has bad rows; nothing was applied (apply_valid=true applies the valid "
                 "rows)"),
    "invalid_month": ("Bulan tidak valid, format YYYY-MM", "invalid month {value!r}, expected YYYY-MM"),
    "unit_required": ("Wajib diisi (token tidak menyebut unit)", "required (the token names no unit)"),
    "only_failed_rows": ("Hanya yang gagal (status ini: {status})", "only dead or failed rows (this one is "
                         "{status})"),
    "window_not_closed": ("Jendela {name!r} belum ditutup", "window {window_id!r} has not closed yet"),
}
