from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User
from django.db.models import IntegerField, QuerySet, Value
from django.shortcuts import redirect
from django.utils.html import format_html

from .models import AuditEntry, AuditKind, Budget, Generation, MemberQuota, Prompt, Reconciliation
from .models.team import (
    record_active_change,
    record_role_change,
    set_quota,
    team_default_words,
)

admin.site.site_header = "Hailuo Studio administration"
admin.site.site_title = "Hailuo Studio admin"
admin.site.index_title = "Team, costs and clips"


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "use_count", "last_used_at", "created_by", "created_at"]
    search_fields = ["text"]
    list_filter = ["created_at", "last_used_at"]
    readonly_fields = ["digest", "created_at"]
    raw_id_fields = ["created_by"]


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = [
        "short_prompt",
        "owner",
        "status",
        "resolution",
        "duration",
        "credit_cost",
        "created_at",
        "seconds_to_clip_display",
        "deleted",
        "deleted_while_running",
        "deleted_by",
    ]
    list_filter = [
        "status",
        "resolution",
        "duration",
        "prompt_optimizer",
        "over_budget",
        "deleted_while_running",
        "owner",
        "created_at",
    ]
    search_fields = ["prompt__text", "job_id", "owner__username", "id"]
    list_select_related = ["owner", "prompt", "deleted_by"]
    date_hierarchy = "created_at"
    raw_id_fields = ["prompt", "retry_of"]
    readonly_fields = [
        "id", "job_id", "progress", "credit_cost", "estimated_credits", "result_url",
        "created_at", "submitted_at", "finished_at", "stored_at", "updated_at", "deleted_at",
        "next_check_at", "attempts", "last_error", "lease_until", "lease_token", "clip_link",
        "over_budget", "settled_at", "deleted_by", "deleted_while_running", "overdue_checks",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["id", "owner", "prompt", "status", "failure_reason", "clip_link"]}),
        ("Settings", {"fields": ["resolution", "duration", "prompt_optimizer", "first_frame",
                                 "first_frame_url", "retry_of"]}),
        ("Apiframe", {"fields": ["job_id", "progress", "estimated_credits", "credit_cost",
                                 "settled_at", "over_budget", "result_url"]}),
        ("Timings", {"fields": ["created_at", "submitted_at", "finished_at", "stored_at",
                                "updated_at"]}),
        ("Deleted", {"fields": ["deleted_at", "deleted_by", "deleted_while_running"]}),
        ("Tracker", {"classes": ["collapse"], "fields": ["next_check_at", "attempts",
                                                         "overdue_checks", "last_error",
                                                         "lease_until", "lease_token"]}),
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False  # Clips are made in the studio, where the budget and the pipeline see them.

    @admin.display(description="Prompt", ordering="prompt__text")
    def short_prompt(self, generation: Generation) -> str:
        return str(generation.prompt)

    @admin.display(description="Seconds to clip")
    def seconds_to_clip_display(self, generation: Generation) -> str:
        seconds = generation.seconds_to_clip
        return f"{seconds:.0f}" if seconds is not None else "—"

    @admin.display(description="Deleted", boolean=True)
    def deleted(self, generation: Generation) -> bool:
        return generation.deleted_at is not None

    @admin.display(description="In the studio")
    def clip_link(self, generation: Generation) -> str:
        return format_html('<a href="{}">Open</a>', generation.get_absolute_url())


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    """One row: the changelist goes straight to it."""

    fieldsets = [
        ("Monthly limits", {"fields": ["team_monthly_credits", "member_monthly_credits",
                                       "max_running_per_member"]}),
        ("Estimated credits per clip (reserved at submission until Apiframe bills)",
         {"fields": ["price_768p_6s", "price_768p_10s", "price_1080p_6s"]}),
    ]  # fmt: skip

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        budget = Budget.current()
        return redirect("admin:generations_budget_change", budget.pk)

    def save_model(self, request, budget: Budget, form, change: bool) -> None:
        """Saved with its audit entry (in the admin's transaction): each value changed, before
        and after."""
        changed = list(form.changed_data)
        before = Budget.objects.filter(pk=budget.pk).values(*changed).first() or {}
        super().save_model(request, budget, form, change)
        if not changed:
            return
        after = {name: getattr(budget, name) for name in changed}
        words = "; ".join(
            f"{form.fields[name].label}: {before.get(name)} → {after[name]}" for name in changed
        )
        AuditEntry.record(
            AuditKind.BUDGET_CHANGED,
            f"Team budget or prices changed in the admin: {words}",
            actor=request.user,
            before={name: before.get(name) for name in changed},
            after=after,
        )


class MonthlyQuotaForm(forms.ModelForm):
    """The member's own monthly quota as a field of their user form, near its top; empty puts
    them back on the team default."""

    monthly_quota = forms.IntegerField(
        label="Monthly quota",
        required=False,
        min_value=0,
        error_messages={
            "invalid": "Write the quota as a whole number of credits, such as 500, or leave it "
            "empty for the team default.",
            "min_value": "A quota can't be below 0 credits (0 stops this member's clips).",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        default = team_default_words(Budget.current().member_monthly_credits)
        quota = self.fields["monthly_quota"]
        quota.help_text = (
            f"Credits this member may use per month. Empty: the team default ({default})."
        )
        if self.instance.pk:
            own = MemberQuota.objects.filter(member=self.instance).first()
            self.initial.setdefault("monthly_quota", own.monthly_credits if own else None)


class MemberChangeForm(MonthlyQuotaForm, UserChangeForm):
    pass


class MemberCreationForm(MonthlyQuotaForm, AdminUserCreationForm):
    pass


admin.site.unregister(User)


@admin.register(User)
class MemberAdmin(UserAdmin):
    """Team administration: add members, reset passwords, deactivate, set a member's quota."""

    form = MemberChangeForm
    add_form = MemberCreationForm
    # Django's, with the quota where staff look first.
    fieldsets = [
        (None, {"fields": ["username", "monthly_quota", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]  # fmt: skip
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "monthly_quota", "usable_password", "password1",
                           "password2"],
            },
        ),
    ]  # fmt: skip
    list_display = ["username", "email", "quota_column", "is_active", "is_staff", "last_login",
                    "date_joined"]  # fmt: skip
    list_filter = ["is_active", "is_staff", "is_superuser"]

    def get_queryset(self, request) -> QuerySet[User]:
        # The team default once per page, not once per row.
        default = Budget.current().member_monthly_credits
        return (
            super()
            .get_queryset(request)
            .select_related("quota")
            .annotate(team_default=Value(default, output_field=IntegerField()))
        )

    @admin.display(description="Monthly quota", ordering="quota__monthly_credits")
    def quota_column(self, member: User) -> str:
        try:
            return f"{member.quota.monthly_credits} credits"
        except MemberQuota.DoesNotExist:
            return f"Team default: {team_default_words(member.team_default)}"  # type: ignore[attr-defined]

    def save_model(self, request, member: User, form: MonthlyQuotaForm, change: bool) -> None:
        """Saved with the audit entries of what moves money or access (in the admin's
        transaction): the quota, the role, deactivation (which also ends their sessions)."""
        before = User.objects.filter(pk=member.pk).values("is_staff", "is_active").first()
        super().save_model(request, member, form, change)
        set_quota(member, form.cleaned_data["monthly_quota"], by=request.user)
        if change and before is not None:
            if before["is_staff"] != member.is_staff:
                record_role_change(member, staff=member.is_staff, by=request.user)
            if before["is_active"] != member.is_active:
                record_active_change(member, active=member.is_active, by=request.user)


@admin.register(Reconciliation)
class ReconciliationAdmin(admin.ModelAdmin):
    """Checks against Apiframe's ledger: a record, never edited (start one on the usage page)."""

    list_display = ["started_at", "since", "until", "state", "jobs_seen", "apiframe_billed",
                    "studio_recorded", "requested_by"]  # fmt: skip
    list_filter = ["state", "started_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read only (staff read it at /team/audit/): no entry is added, changed or
    deleted by hand."""

    list_display = ["at", "actor_name", "kind", "member_name", "summary"]
    list_filter = ["kind", "at"]
    search_fields = ["summary", "actor_name", "member_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
