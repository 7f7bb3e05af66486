from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GenerationsConfig(AppConfig):
    name = "generations"
    verbose_name = "Studio"

    def ready(self) -> None:
        post_migrate.connect(install_tracker_schedule, sender=self)
        post_migrate.connect(create_cache_tables, sender=self)
        from django.contrib.auth.signals import user_logged_in

        from .last_seen import seen_at_login

        user_logged_in.connect(seen_at_login, dispatch_uid="generations.seen_at_login")


def install_tracker_schedule(**kwargs) -> None:
    from .pipeline.tasks import install_schedule

    install_schedule()


def create_cache_tables(using: str = "default", **kwargs) -> None:
    # The login throttle's database cache needs its table; `migrate` alone makes it, so neither
    # `make run` nor a deployment needs a separate `createcachetable` step.
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
