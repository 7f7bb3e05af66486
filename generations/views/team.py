"""The team page (/team/, staff only): every member with this month's spending, quota, clips in
flight and last seen; staff change a quota or a role, deactivate and reactivate, make a one-time
password-reset link, and invite new members. Each member's row answers htmx in place; without
script every form posts and comes back to the page (with the reason and what was typed when
refused). Links (invites, password resets) are shown once, in the POST's answer, never stored."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..models import Budget, Invite
from ..models.team import (
    TeamRefusal,
    TeamRow,
    credits_words,
    reset_link_path,
    set_active,
    set_quota,
    set_role,
    team_default_words,
    team_rows,
)
from ..team_forms import ActiveForm, InviteForm, QuotaForm, RoleForm
from .requests import MemberRequest
from .shares import absolute

TEMPLATE = "generations/team.html"
FINISHED_INVITES_SHOWN = 20


def first_error(form: Form) -> str:
    return next(iter(str(error) for errors in form.errors.values() for error in errors), "")


def invites_context(**extra) -> dict:
    return {
        "team_default": team_default_words(Budget.current().member_monthly_credits),
        "invite_form": InviteForm(),
        "pending": Invite.objects.pending().for_listing(),
        "finished": Invite.objects.finished().for_listing()[:FINISHED_INVITES_SHOWN],
        **extra,
    }


def page(request: MemberRequest, *, changed: TeamRow | None = None, status: int = 200, **extra):
    """The whole page; `changed` stands in for its member's row (what was typed, why refused)."""
    rows = team_rows()
    if changed is not None:
        rows = [changed if row.member.pk == changed.member.pk else row for row in rows]
    context = {"rows": rows, **invites_context(**extra)}
    response = render(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"  # it may carry a link shown once
    return response


@staff_member_required
@require_GET
def team(request: MemberRequest) -> HttpResponse:
    return page(request)


def member_answer(request: MemberRequest, member: User, **shown) -> HttpResponse:
    """The member's row again, in place for htmx; without script, the page (when there is
    something only this answer can show: a refusal with what was typed, a link) or a redirect."""
    (row,) = team_rows(member)
    for name, value in shown.items():
        setattr(row, name, value)
    if request.htmx:
        response = render(request, f"{TEMPLATE}#member", {"row": row})  # htmx swaps a 200 only
        response["Cache-Control"] = "no-store"
        return response
    if row.error or row.reset_link:
        return page(request, changed=row, status=400 if row.error else 200)
    messages.success(request, row.words)
    return redirect(f"{reverse('team')}#member-{member.pk}")


@staff_member_required
@require_POST
def member_quota(request: MemberRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = QuotaForm(request.POST)
    if not form.is_valid():
        typed = request.POST.get("quota", "")
        return member_answer(request, member, error=first_error(form), typed_quota=typed)
    credits = form.cleaned_data["quota"]
    if set_quota(member, credits, by=request.user):
        words = f"Saved: {member.get_username()}'s quota is now {credits_words(credits)}."
    else:
        words = f"{member.get_username()}'s quota was already {credits_words(credits)}."
    return member_answer(request, member, words=words)


@staff_member_required
@require_POST
def member_role(request: MemberRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return member_answer(request, member, error=first_error(form))
    staff = form.cleaned_data["role"] == "staff"
    role = "staff" if staff else "a member"
    try:
        changed = set_role(member, staff=staff, by=request.user)
    except TeamRefusal as refusal:
        return member_answer(request, member, error=str(refusal))
    name = member.get_username()
    words = f"{name} is now {role}." if changed else f"{name} was already {role}."
    return member_answer(request, member, words=words)


@staff_member_required
@require_POST
def member_active(request: MemberRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return member_answer(request, member, error=first_error(form))
    active = form.cleaned_data["active"]
    try:
        changed = set_active(member, active=active, by=request.user)
    except TeamRefusal as refusal:
        return member_answer(request, member, error=str(refusal))
    name = member.get_username()
    if not changed:
        words = f"{name} was already {'active' if active else 'deactivated'}."
    elif active:
        words = f"Reactivated {name}: they can log in again."
    else:
        words = f"Deactivated {name}: they are logged out and can't log in. Their clips stay."
    return member_answer(request, member, words=words)


@staff_member_required
@require_POST
def member_reset_link(request: MemberRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    try:
        path = reset_link_path(member, by=request.user)
    except TeamRefusal as refusal:
        return member_answer(request, member, error=str(refusal))
    return member_answer(request, member, reset_link=absolute(request, path))


def invites_answer(request: MemberRequest, status: int = 200, **extra) -> HttpResponse:
    if request.htmx:
        context = invites_context(**extra)
        response = render(request, f"{TEMPLATE}#invites", context)
        response["Cache-Control"] = "no-store"
        return response
    return page(request, status=status, **extra)


@staff_member_required
@require_POST
def invite_create(request: MemberRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        return invites_answer(request, status=400, invite_form=form)
    invite, token = Invite.make(
        by=request.user,
        as_staff=form.cleaned_data["as_staff"],
        monthly_credits=form.cleaned_data["quota"],
    )
    made = {"invite": invite, "url": absolute(request, reverse("invite", args=[token]))}
    return invites_answer(request, made=made)


@staff_member_required
@require_POST
def invite_revoke(request: MemberRequest, pk: int) -> HttpResponse:
    invite = get_object_or_404(Invite, pk=pk)
    if invite.revoke(by=request.user):
        words = "Revoked the invite: its link now says it was withdrawn."
    else:
        words = "This invite was already used or revoked."
    if request.htmx:
        return invites_answer(request, invite_words=words)
    messages.success(request, words)
    return redirect(f"{reverse('team')}#invites")
