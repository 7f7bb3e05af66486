"""Unstarring keeps the star's row (removed_at) and every star change is dated (changed_at), so a
member's other open tabs hear of a star or an unstar with their next live update without any
teammate's tab redrawing (helper "keep", issue #14)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("generations", "0008_prompt_search")]

    operations = [
        migrations.AddField(
            model_name="star",
            name="removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="star",
            name="changed_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddIndex(
            model_name="star",
            index=models.Index(fields=["member", "changed_at"], name="stars_changed"),
        ),
    ]
