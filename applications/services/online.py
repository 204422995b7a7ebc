"""网上补交: the applicant keeps the promise from a phone (seed 003 推进网上办理).

A 6-digit code goes by SMS to the phones on record (only its keyed digest is stored; it lives
``ONLINE_CODE_MINUTES`` and dies after five wrong tries or a newer code). With it the applicant
uploads photos or PDFs of the missing materials, checked like the window's scans; photos are
shrunk and re-encoded (which also drops what a camera writes into them, GPS included). The window
then confirms each material (it is received, the files become its scans, the last one fulfils the
promise) or refuses it with a reason the applicant reads in an SMS. Every step is audited."""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from audit.events import Event
from audit.services import record
from core.formats import sentence

from .. import workflow
from ..materials import MATERIALS
from ..models import ONLINE_UPLOAD_STATES, Application, OnlineCode, OnlineUpload
from .base import _require_clerk_of
from .notifications import _notify, _tell_township, window_of
from .uploads import _attach, check_upload, material_receive

CODE_TRIES = 5  # wrong tries a code survives
APPLICANT = "申请人"


def missing_codes(app: Application) -> list[str]:
    """The materials the applicant promised and has not brought (in the checklist's order)."""
    if app.promise_status not in workflow.PROMISE_OPEN:
        return []
    return [m.code for m in app.materials.all() if not m.received]


def _digest(app: Application, code: str) -> str:
    return salted_hmac("applications.online", f"{app.pk}:{code}", algorithm="sha256").hexdigest()


@transaction.atomic
def online_code_send(*, application: Application) -> None:
    """A new code to the phones on record (older ones die). Nothing tells the caller whether the
    case has a phone: the page says the same either way."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    if not missing_codes(app):
        raise ValidationError("本申请没有待补交的材料。", code="nothing_missing")
    now = timezone.now()
    OnlineCode.objects.filter(application=app, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = OnlineCode.objects.create(
        application=app,
        digest=_digest(app, code),
        expires_at=now + timedelta(minutes=settings.ONLINE_CODE_MINUTES),
    )
    _notify(
        app,
        "code",
        f"验证码 {code}，{settings.ONLINE_CODE_MINUTES} 分钟内有效，用于网上补交医疗救助申请"
        f"（编号{app.number}）的材料。请勿告诉他人，工作人员不会向您索要验证码。",
        f"code:{row.pk}",
    )
    record(
        actor=None,
        event=Event.ONLINE_CODE_SENT,
        target=app,
        summary=f"{app.number} 申请人请求网上补交验证码",
        username=APPLICANT,
    )


@transaction.atomic
def online_code_check(*, application: Application, code: str) -> bool:
    """True once for the right, live code (it is then used up); a wrong try counts."""
    now = timezone.now()
    row = (
        OnlineCode.objects.select_for_update()
        .filter(application=application, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return False
    typed = "".join(c for c in (code or "") if c.isdigit())
    if len(typed) == 6 and hmac.compare_digest(row.digest, _digest(application, typed)):
        row.used_at = now
        row.save(update_fields=["used_at"])
        record(
            actor=None,
            event=Event.ONLINE_SIGNED_IN,
            target=application,
            summary=f"{application.number} 申请人短信验证通过（网上补交）",
            username=APPLICANT,
        )
        return True
    row.tries += 1
    if row.tries >= CODE_TRIES:
        row.used_at = now  # dead: the applicant asks for a new one
    row.save(update_fields=["tries", "used_at"])
    return False


def shrink(content_type: str, data: bytes) -> tuple[str, bytes]:
    """A photo as stored: at most ``ONLINE_IMAGE_MAX_SIDE`` px a side, turned upright, re-encoded as
    JPEG (a camera's metadata, GPS included, is not carried over). PDFs are kept as they are."""
    if not content_type.startswith("image/"):
        return content_type, data
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image) or image
        picture = upright.convert("RGB")
    side = settings.ONLINE_IMAGE_MAX_SIDE
    picture.thumbnail((side, side))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80, optimize=True)
    return "image/jpeg", out.getvalue()


@transaction.atomic
def online_submit(
    *, application: Application, files: Mapping[str, Iterable[UploadedFile]]
) -> list[OnlineUpload]:
    """The applicant's photos and PDFs of missing materials, waiting for the window. Every file is
    checked before any is kept: one bad file keeps none, with every reason in Chinese."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    missing = missing_codes(app)
    chosen = {code: list(uploads) for code, uploads in files.items() if list(uploads)}
    if not chosen:
        raise ValidationError("请先选择要上传的照片或 PDF 文件。", code="nothing")
    errors: list[str] = []
    checked: list[tuple[str, str, str, bytes]] = []
    for code, uploads in chosen.items():
        if code not in missing:
            raise ValidationError("这项材料不需要补交，或窗口已经收到。", code="not_missing")
        waiting = app.online_uploads.filter(material=code, state=OnlineUpload.State.PENDING)
        if waiting.count() + len(uploads) > settings.ONLINE_FILES_PER_MATERIAL:
            errors.append(
                f"“{MATERIALS[code]}”最多上传 {settings.ONLINE_FILES_PER_MATERIAL} 个文件。"
            )
            continue
        for upload in uploads:
            try:
                content_type, data = check_upload(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                checked.append((code, (upload.name or "photo")[:180], *shrink(content_type, data)))
    if errors:
        raise ValidationError(errors)
    rows = [_keep(app, *item) for item in checked]
    names = "、".join(dict.fromkeys(MATERIALS[code] for code in chosen))
    _tell_township(
        app,
        "online",
        f"{app.number} 申请人网上补交了{names}，请到案件页核对。",
        key=f"online:{rows[0].pk}",
    )
    record(
        actor=None,
        event=Event.ONLINE_UPLOADED,
        target=app,
        summary=f"{app.number} 申请人网上补交：{names}（{len(rows)} 个文件）",
        username=APPLICANT,
    )
    return rows


def _keep(app: Application, code: str, name: str, content_type: str, data: bytes) -> OnlineUpload:
    row = OnlineUpload(
        application=app,
        material=code,
        original_name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    row.file.save("online", ContentFile(data), save=False)
    row.save()
    return row


def _waiting(app: Application, code: str) -> list[OnlineUpload]:
    rows = list(
        OnlineUpload.objects.select_for_update().filter(
            application=app, material=code, state=OnlineUpload.State.PENDING
        )
    )
    if not rows:
        raise ValidationError("这项材料没有待核对的网上补交文件（可能已经核对过）。", code="none")
    return rows


@transaction.atomic
def online_accept(*, application: Application, code: str, actor: User) -> Application:
    """The window confirms the uploaded material: it is received, the files become its scans."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    _require_clerk_of(actor, app.township_id)
    rows = _waiting(app, code)
    files = []
    for row in rows:
        with row.file.open("rb") as f:
            files.append(
                SimpleUploadedFile(f"网上补交-{row.original_name}", f.read(), row.content_type)
            )
    material = app.materials.filter(code=code).first()
    if material is not None and material.received:  # brought to the window meanwhile
        for upload in files:
            _attach(app, code, upload, actor)
    else:
        app = material_receive(application=app, code=code, actor=actor, files=files)
    ONLINE_UPLOAD_STATES.move_many(
        OnlineUpload.objects.filter(pk__in=[r.pk for r in rows]),
        OnlineUpload.State.ACCEPTED,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    record(
        actor=actor,
        event=Event.ONLINE_ACCEPTED,
        target=app,
        summary=f"{app.number} 确认收到网上补交：{MATERIALS[code]}",
    )
    return app


@transaction.atomic
def online_refuse(*, application: Application, code: str, actor: User, reason: str) -> None:
    """The window refuses the uploaded material (unreadable, the wrong paper …): an SMS tells the
    applicant why; the material stays missing and may be uploaded again."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    _require_clerk_of(actor, app.township_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明未通过的原因，短信会告诉申请人。", code="no_reason")
    rows = _waiting(app, code)
    ONLINE_UPLOAD_STATES.move_many(
        OnlineUpload.objects.filter(pk__in=[r.pk for r in rows]),
        OnlineUpload.State.REFUSED,
        decided_by=actor,
        decided_at=timezone.now(),
        refuse_reason=reason[:200],
    )
    _notify(
        app,
        "online_refused",
        f"您网上补交的“{MATERIALS[code]}”未通过核对：{sentence(reason)}"
        f"请重新拍照上传，或交到{window_of(app)}。",
        f"online_refused:{rows[0].pk}",
    )
    record(
        actor=actor,
        event=Event.ONLINE_REFUSED,
        target=app,
        summary=f"{app.number} 网上补交未通过：{MATERIALS[code]}（{reason[:60]}）",
    )
