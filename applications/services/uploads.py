"""Materials and their scans: a missing material arrives (补交, the last one fulfils the promise),
a scan is attached; every upload is checked by its content, not its name."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record

from .. import case_actions, workflow
from ..materials import MATERIALS
from ..models import (
    Application,
    Attachment,
    PromiseStatus,
    Status,
)
from .base import _event, _require_clerk_of
from .notifications import _notify

# The first bytes of each kind of scan we take.
SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF-": "application/pdf",
}


def check_upload(upload: UploadedFile) -> tuple[str, bytes]:
    """The content type of a scan or photo, judged by its content; refuse anything else."""
    if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"文件“{upload.name}”太大（{filesizeformat(upload.size)}），"
            f"每个文件不能超过 {filesizeformat(settings.UPLOAD_MAX_BYTES)}，请压缩或分页扫描。",
            code="too_big",
        )
    data = upload.read()
    upload.seek(0)
    if not data:
        raise ValidationError(f"文件“{upload.name}”是空的。", code="empty")
    content_type = next((t for sig, t in SIGNATURES.items() if data.startswith(sig)), None)
    if content_type is None:
        raise ValidationError(
            f"文件“{upload.name}”不是 JPEG、PNG 图片或 PDF 文件（按文件内容判断，不看扩展名）。",
            code="bad_type",
        )
    if content_type.startswith("image/"):
        check_image(data, upload.name or "")
    elif b"%%EOF" not in data[-2048:]:
        raise ValidationError(f"PDF 文件“{upload.name}”不完整，请重新扫描。", code="broken")
    else:
        active = pdf_active_content(data)
        if active:
            raise ValidationError(
                f"PDF 文件“{upload.name}”含有{'、'.join(active)}，不能作为扫描件上传。"
                "请上传扫描仪或手机直接生成的 PDF，或拍照上传。",
                code="active_pdf",
            )
    return content_type, data


def check_image(data: bytes, name: str) -> None:
    """A photo or scan that opens, of a size a camera or scanner makes. A header that claims more
    pixels than Pillow's own limit (``Image.MAX_IMAGE_PIXELS``, about 89 million: a 74-byte PNG
    claiming 100000×100000 is a decompression bomb) is refused before a pixel is decoded."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            f"图片“{name}”的尺寸大得异常（超过 {(Image.MAX_IMAGE_PIXELS or 0) // 10_000} 万像素），"
            "不像是拍照或扫描的材料，不能上传。请用手机或扫描仪重新拍照、扫描。",
            code="bomb",
        ) from None
    except Exception:  # Pillow on a file from outside: any failure means it does not open
        raise ValidationError(f"图片“{name}”已损坏或不完整，请重新拍照。", code="broken") from None


# What a viewer could run or open from a PDF: names of keys and of action types (/S).
ACTIVE_KEYS = {
    "/JS": "JavaScript 脚本",
    "/JavaScript": "JavaScript 脚本",
    "/AA": "自动执行的动作",
    "/EmbeddedFiles": "嵌入的文件",
    "/EmbeddedFile": "嵌入的文件",
    "/RichMedia": "多媒体内容",
    "/XFA": "XFA 动态表单",
}
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript 脚本",
    "/Launch": "启动外部程序的动作",
    "/SubmitForm": "提交表单的动作",
    "/ImportData": "导入数据的动作",
    "/GoToR": "打开其他文件的动作",
    "/GoToE": "打开嵌入文件的动作",
    "/RichMediaExecute": "多媒体内容",
}


def pdf_active_content(data: bytes) -> list[str]:
    """What in this PDF could run or open something (JavaScript, launch and other actions,
    embedded files, rich media, XFA), in words; [] for an inert document. Every object reachable
    from the trailer is read with pypdf (object streams decompressed, ``#xx`` name escapes
    resolved). A PDF pypdf cannot read, or an encrypted one, is refused as well."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return ["加密内容（请上传未加密的文件）"]
        found: dict[str, None] = {}
        seen: set[tuple[int, int]] = set()
        stack: list[object] = [reader.trailer]
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                if (obj.idnum, obj.generation) in seen:
                    continue
                seen.add((obj.idnum, obj.generation))
                obj = obj.get_object()
            if isinstance(obj, DictionaryObject):
                for key, value in obj.items():
                    if key in ACTIVE_KEYS:
                        found[ACTIVE_KEYS[key]] = None
                    if key == "/S" and value in ACTIVE_ACTIONS:
                        found[ACTIVE_ACTIONS[str(value)]] = None
                    if key == "/Type" and value == "/EmbeddedFile":
                        found["嵌入的文件"] = None
                    stack.append(value)
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
    except Exception as exc:  # pypdf on a file from outside: any failure means it is refused
        if isinstance(exc, LimitReachedError) or "Limit reached" in str(exc):
            # a stream that inflates past pypdf's limits (75 MB): a decompression bomb
            return ["解压后大得异常的内容（不像是扫描件）"]
        return ["无法识别的结构（文件可能已损坏）"]
    return list(found)


def _attach(app: Application, code: str, upload: UploadedFile, actor: User) -> Attachment:
    content_type, data = check_upload(upload)
    attachment = Attachment(
        application=app,
        material=code,
        original_name=(upload.name or "scan")[:200],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    attachment.file.save("scan", ContentFile(data), save=False)
    attachment.save()
    return attachment


def _validate_uploads(files: Mapping[str, Iterable[UploadedFile]]) -> None:
    errors = []
    for uploads in files.values():
        for upload in uploads:
            try:
                check_upload(upload)
            except ValidationError as exc:
                errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def material_receive(
    *, application: Application, code: str, actor: User, files: Iterable[UploadedFile] = ()
) -> Application:
    """A missing material arrives (补交); the last one fulfils the promise."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    refused = case_actions.case_action_refusal(app, "receive_material", actor)
    if refused:
        raise ValidationError(refused, code="refused")
    uploads = list(files)
    _validate_uploads({code: uploads})
    material = app.materials.filter(code=code).first()
    if material is None:
        raise ValidationError("这项材料不在本申请的清单上。", code="unknown_material")
    if material.received:
        raise ValidationError(
            f"“{material.get_code_display()}”已经收到，不必重复登记。", code="twice"
        )
    now = timezone.now()
    material.received_at = now
    material.received_by = actor
    material.late = app.status != Status.DRAFT
    material.save()
    for upload in uploads:
        _attach(app, code, upload, actor)
    _event(app, "material", f"收到补交材料：{material.get_code_display()}", actor)
    summary = f"{app.number} 收到材料：{material.get_code_display()}"
    fulfilled = (
        app.promise_status in workflow.PROMISE_OPEN
        and not app.materials.filter(received_at__isnull=True).exists()
    )
    if fulfilled:
        before = workflow.promise_move(app, PromiseStatus.FULFILLED, promise_fulfilled_at=now)
        app.save(update_fields=["updated_at"])
        _event(app, "promise_fulfilled", "承诺材料已全部补齐", actor)
        summary += "；承诺材料已全部补齐"
        _notify(
            app,
            "fulfilled",
            f"您的医疗救助申请（编号{app.number}）所缺材料已全部收齐，谢谢配合。",
            f"fulfilled:{app.pk}",
        )
        changes = {"promise_status": [before, PromiseStatus.FULFILLED]}
    else:
        changes = {}
    record(actor=actor, event=Event.MATERIAL_RECEIVED, target=app, summary=summary, changes=changes)
    return app


@transaction.atomic
def attachment_add(
    *, application: Application, code: str, upload: UploadedFile, actor: User
) -> Attachment:
    app = Application.objects.select_for_update().get(pk=application.pk)
    _require_clerk_of(actor, app.township_id)
    if code not in MATERIALS:
        raise ValidationError("未知材料。", code="unknown_material")
    attachment = _attach(app, code, upload, actor)
    record(
        actor=actor,
        event=Event.ATTACHMENT_ADDED,
        target=attachment,
        summary=f"{app.number} 上传扫描件：{MATERIALS[code]}",
        township=app.township,
    )
    return attachment


def account_document_attach(
    *, application: Application, upload: UploadedFile, actor: User
) -> Attachment:
    """The bank card's scan for an account change (the caller, ``payments``, checked who may);
    checked like any other scan and filed under the account material."""
    attachment = _attach(application, "bank_account", upload, actor)
    record(
        actor=actor,
        event=Event.ACCOUNT_DOCUMENT_ATTACHED,
        target=attachment,
        summary=f"{application.number} 上传扫描件：{MATERIALS['bank_account']}（账户变更）",
        township=application.township,
    )
    return attachment
