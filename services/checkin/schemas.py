"""Request and response bodies of the check-in API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from services.contracts.policy import CheckinKind
from services.runtime.errors import FieldError, explain_pattern
from services.runtime.pages import NEXT_AFTER

__all__ = ["FieldError"]

MAX_BATCH_ITEMS = 500
MAX_ACTIVITY_TEXT = 5000
# Body of a batch: 500 items with an activity report of up to 5,000 characters each (UTF-8, JSON-escaped
# at worst ~16 KB an item). Any other request of the service stays under HADIR_MAX_BODY_BYTES.
MAX_BATCH_BYTES = 8 * 2**20
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"  # printable ASCII, no spaces (UUIDs, ULIDs, …)
explain_pattern(IDEMPOTENCY_KEY_PATTERN, "idempotency_key_format")

_REQUIRED_BY_KIND = {
    "location": CheckinKind.LOCATION,
    "activity_text": CheckinKind.ACTIVITY_REPORT,
    "meeting_ref": CheckinKind.VIDEO_CONFERENCE,
}

# Text without NUL characters (PostgreSQL cannot store them in text columns).
Text = Annotated[str, Field(pattern=r"^[^\x00]*$")]


CHECKIN_EXAMPLES: list[JsonValue] = [
    {"kind": "location", "captured_at": "2026-12-07T08:05:00+07:00", "device_id": "android-3f9c2a",
     "location": {"latitude": -6.1202, "longitude": 106.1503, "accuracy_m": 12.5}},
    {"kind": "activity_report", "captured_at": "2026-12-07T14:40:00+07:00",
     "activity_text": "Menyusun rekapitulasi cuti pegawai bulan November"}]
BATCH_EXAMPLE: list[JsonValue] = [{**checkin, "idempotency_key": f"0193a1e2-7c4d-7b7e-9f00-3c2a1d5e6f7{n}"}
                                   for n, checkin in enumerate(CHECKIN_EXAMPLES) if isinstance(checkin, dict)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class LocationIn(_In):
    """The phone's fix when the check-in was captured."""

    latitude: float = Field(ge=-90, le=90, description="WGS84 degrees", examples=[-6.1202])
    longitude: float = Field(ge=-180, le=180, description="WGS84 degrees", examples=[106.1503])
    accuracy_m: float = Field(ge=0, le=100_000, description="reported accuracy in metres (the radius of the fix)",
                              examples=[12.5])
    mock_location: bool = Field(default=False, description="the device's mock-location flag", examples=[False])


class CheckinIn(_In):
    """One check-in. The employee and tenant come from the token.

    ``location`` is required for ``location``, ``activity_text`` for ``activity_report`` and
    ``meeting_ref`` for ``video_conference``; an attendance check-in may carry a location.
    """

    model_config = ConfigDict(json_schema_extra={"examples": CHECKIN_EXAMPLES})

    kind: CheckinKind = Field(description="`attendance`, `location`, `activity_report` or `video_conference`: "
                                          "what the window open now asks for", examples=["location"])
    captured_at: AwareDatetime = Field(description="device time with its UTC offset (when it was captured, also "
                                                   "when sent later from offline)",
                                       examples=["2026-12-07T08:05:00+07:00"])
    device_id: Text | None = Field(default=None, min_length=1, max_length=200, examples=["android-3f9c2a"],
                                   description="a stable id of the phone or browser")
    location: LocationIn | None = Field(default=None, validate_default=True,
                                        description="required for `location`; an attendance may carry one",
                                        examples=[{"latitude": -6.1202, "longitude": 106.1503, "accuracy_m": 12.5}])
    activity_text: Text | None = Field(default=None, min_length=1, max_length=MAX_ACTIVITY_TEXT,
                                       validate_default=True, description="what was done; required for "
                                                                          "`activity_report`",
                                       examples=["Menyusun rekapitulasi cuti pegawai bulan November"])
    attachment_ref: Text | None = Field(default=None, min_length=1, max_length=500,
                                        description="reference to an uploaded photo or document",
                                        examples=["lampiran/2026-12-07/foto-kegiatan.jpg"])
    meeting_ref: Text | None = Field(default=None, min_length=1, max_length=500, validate_default=True,
                                     description="video-conference meeting id or link; required for "
                                                 "`video_conference`", examples=["https://meet.example.go.id/rapat-bkd"])

    @field_validator("location", "activity_text", "meeting_ref")
    @classmethod
    def _required_for_kind(cls, value: Any, info: ValidationInfo) -> Any:
        needed_by = _REQUIRED_BY_KIND[info.field_name or ""]
        if value is None and info.data.get("kind") == needed_by:
            raise PydanticCustomError(
                "required_for_kind",
                "Wajib diisi untuk jenis {kind} / required for kind {kind}",
                {"kind": needed_by.value},
            )
        return value


class BatchItemIn(CheckinIn):
    """One item of an offline batch: a check-in plus its own idempotency key."""

    idempotency_key: str = Field(pattern=IDEMPOTENCY_KEY_PATTERN,
                                 description="unique per check-in on the device; a retry reuses it",
                                 examples=["0193a1e2-7c4d-7b7e-9f00-3c2a1d5e6f70"])


class BatchIn(BaseModel):
    """Check-ins collected offline, synchronised in one request.

    Items are validated one by one (a bad item does not reject the others), so the
    list is declared loosely here and documented as ``BatchItemIn`` in OpenAPI.
    """

    items: list[Any] = Field(min_length=1, max_length=MAX_BATCH_ITEMS,
                             description=f"1-{MAX_BATCH_ITEMS} check-ins, each with its own `idempotency_key`",
                             examples=[BATCH_EXAMPLE])


ReviewState = Literal["pending", "approved", "returned"]


class CheckinReview(BaseModel):
    """Where the review of one's own report stands (activity reports and video conferences only)."""

    state: ReviewState
    note: str | None = Field(default=None, description="the head's comment")
    at: datetime | None = Field(default=None, description="when it was decided, in UTC")
    revision: int = Field(default=0, description="0 while pending; grows with every decision")


class CheckinOut(BaseModel):
    id: UUID
    employee_id: str
    unit_id: str | None
    kind: CheckinKind
    captured_at: datetime = Field(description="device time, in UTC")
    received_at: datetime = Field(description="server time, in UTC")
    status: str = Field(description="pending until evaluated; then on_time, late, outside_window, not_required")
    window_id: str | None = None
    late_minutes: int | None = None
    geofence: str | None = None
    distance_m: float | None = None
    place_name: str | None = Field(default=None, description="the nearest registered place (its name only)")
    suspicious: bool | None = None
    reasons: list[str] | None = None
    review: CheckinReview | None = Field(
        default=None, description="activity reports and video conferences in reads: the head's review (null in "
                                  "the answers to submissions, and for the other kinds)")


class CheckinLocationOut(BaseModel):
    """A check-in's raw coordinates, as the device reported them (a purpose-bound, logged read)."""

    checkin_id: UUID
    employee_id: str
    kind: CheckinKind
    captured_at: datetime = Field(description="device time, in UTC")
    latitude: float
    longitude: float
    accuracy_m: float
    mock_location: bool


class ItemResult(BaseModel):
    index: int = Field(description="position of the item in the request")
    status: int = Field(description="201 stored (or replayed), 409 key reused with another payload, 422 invalid")
    idempotency_key: str | None = None
    replayed: bool = Field(default=False, description="the key was seen before; this is the stored check-in")
    checkin: CheckinOut | None = None
    errors: list[FieldError] | None = None


class BatchOut(BaseModel):
    accepted: int = Field(description="items stored by this request")
    replayed: int = Field(description="items whose key was already stored with the same payload")
    rejected: int = Field(description="items answered with 409 or 422")
    results: list[ItemResult]


# --- reviews of activity reports and video-conference attendance ---------------------------

MAX_REVIEW_NOTE = 500


class ReviewIn(_In):
    """A head's decision on an activity report or a video-conference attendance."""

    decision: Literal["approve", "return"] = Field(description="`approve`, or `return` it to the employee to "
                                                               "send again", examples=["return"])
    note: Text | None = Field(default=None, min_length=1, max_length=MAX_REVIEW_NOTE, validate_default=True,
                              description="told to the employee; required to return",
                              examples=["Mohon lampirkan foto dokumen yang disusun"])

    @field_validator("note")
    @classmethod
    def _required_to_return(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("decision") == "return" and (value is None or not value.strip()):
            raise PydanticCustomError(
                "note_required", "Wajib diisi untuk mengembalikan laporan / required to return a report")
        return value


class HeadReview(CheckinReview):
    """The review as heads see it: also who decided, and when on the tenant's clock."""

    by: str | None = Field(default=None, description="the credentials' subject of who decided")
    by_nip: str | None = None
    at_local: str | None = Field(default=None, description="`at` in the tenant's zone (ISO 8601 with its offset)")


class ReviewDecisionOut(BaseModel):
    """One decision of the review's history (kept for ever, never changed)."""

    revision: int
    decision: Literal["approved", "returned"]
    note: str | None
    by: str
    by_nip: str | None
    by_role: str
    at: datetime
    at_local: str


class ReviewItem(BaseModel):
    """An activity report or a video-conference attendance with its review (no coordinates)."""

    checkin_id: UUID
    employee_id: str
    name: str | None = Field(description="the employee's name in the directory")
    unit_id: str | None
    kind: CheckinKind
    local_date: date = Field(description="the day in the tenant's zone")
    zone: str = Field(description="WIB, WITA or WIT")
    captured_at: datetime = Field(description="device time, in UTC")
    captured_at_local: str = Field(description="device time in the tenant's zone (ISO 8601 with its offset)")
    received_at: datetime = Field(description="server time, in UTC")
    received_at_local: str
    status: str = Field(description="the verdict: pending until evaluated; then on_time, late, outside_window, "
                                    "not_required")
    window_id: str | None = None
    window_name: str | None = Field(default=None, description="the window's name in the circular letter")
    activity_text: str | None = None
    attachment_ref: str | None = None
    meeting_ref: str | None = None
    review: HeadReview


class ReviewDetail(ReviewItem):
    history: list[ReviewDecisionOut] = Field(description="every decision, oldest first")


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    next_after: str | None = Field(default=None, description=NEXT_AFTER)


class CheckinPage(BaseModel):
    """A page of check-ins, newest first (:mod:`services.runtime.pages`)."""

    items: list[CheckinOut]
    next_after: str | None = Field(default=None, description=NEXT_AFTER)
