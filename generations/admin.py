from django.contrib import admin
from django.utils.html import format_html

from .models import Generation, Prompt


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
    ]
    list_filter = ["status", "resolution", "duration", "prompt_optimizer", "owner", "created_at"]
    search_fields = ["prompt__text", "job_id", "owner__username", "id"]
    list_select_related = ["owner", "prompt"]
    date_hierarchy = "created_at"
    raw_id_fields = ["prompt", "retry_of"]
    readonly_fields = [
        "id", "job_id", "progress", "credit_cost", "estimated_credits", "result_url",
        "created_at", "submitted_at", "finished_at", "stored_at", "updated_at", "deleted_at",
        "next_check_at", "attempts", "last_error", "lease_until", "lease_token", "clip_link",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["id", "owner", "prompt", "status", "failure_reason", "clip_link"]}),
        ("Settings", {"fields": ["resolution", "duration", "prompt_optimizer", "first_frame",
                                 "first_frame_url", "retry_of"]}),
        ("Apiframe", {"fields": ["job_id", "progress", "estimated_credits", "credit_cost",
                                 "result_url"]}),
        ("Timings", {"fields": ["created_at", "submitted_at", "finished_at", "stored_at",
                                "updated_at", "deleted_at"]}),
        ("Tracker", {"classes": ["collapse"], "fields": ["next_check_at", "attempts",
                                                         "last_error", "lease_until", "lease_token"]}),
    ]  # fmt: skip

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
