"""Answering a survey: the page (works on school tablets, keeps answers in the
browser) and the idempotent submission endpoint it posts to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ekkyo.tenancy.access import public_route

from .services import SurveyError, invitation_for, response_submit, token_hash

MAX_BODY = 64 * 1024


def _storage_key(token: str) -> str:
    """Key for encrypting class I answers in the browser (AES-GCM).

    Derived on the server and sent with the page; it is never written to the
    browser's storage, so what the browser keeps of class I answers is
    ciphertext only.
    """
    mac = hmac.new(
        settings.SECRET_KEY.encode(),
        b"survey-storage:" + token_hash(token).encode(),
        hashlib.sha256,
    )
    return base64.b64encode(mac.digest()).decode("ascii")


@require_GET
@public_route
def answer(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_for(token)
    if invitation is None:
        raise Http404
    wave = invitation.wave
    instrument = wave.instrument.parsed()
    en = (get_language() or "ja").startswith("en")
    scales = {s.code: s for s in instrument.scales}
    constructs = {c.code: c for c in instrument.constructs}
    items = []
    for item in instrument.items:
        scale = scales[item.scale]
        labels = scale.labels_en if en else scale.labels_ja
        items.append(
            {
                "code": item.code,
                "text": item.text_en if en else item.text_ja,
                "class1": item.data_class == "I",
                "construct": constructs[item.construct].name_en
                if en
                else constructs[item.construct].name_ja,
                "options": list(zip(range(scale.min, scale.max + 1), labels, strict=True)),
            }
        )
    return render(
        request,
        "surveys/answer.html",
        {
            "wave": wave,
            "title": instrument.title_en if en else instrument.title_ja,
            "items": items,
            "open": wave.is_open(),
            "storage_id": token_hash(token)[:16],
            "storage_key": _storage_key(token),
        },
    )


@csrf_exempt  # authorised by the unguessable token in the URL; no cookies are used
@require_POST
@public_route
def submit(request: HttpRequest, token: str) -> JsonResponse:
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": _("The submission is too large.")}, status=413)
    try:
        payload = json.loads(request.body.decode("utf-8"))
        client_id = str(payload["client_id"])
        answers = dict(payload.get("answers") or {})
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return JsonResponse({"error": _("The submission could not be read.")}, status=400)
    try:
        response, created = response_submit(token=token, client_id=client_id, answers=answers)
    except SurveyError as exc:
        return JsonResponse({"error": str(exc.message)}, status=exc.status)
    return JsonResponse(
        {"status": "stored" if created else "duplicate", "client_id": str(response.client_id)},
        status=201 if created else 200,
    )
