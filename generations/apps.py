from django.apps import AppConfig
from django.db.models.signals import post_migrate


class GenerationsConfig(AppConfig):
    name = "generations"
    verbose_name = "Studio"

    def ready(self) -> None:
        post_migrate.connect(install_tracker_schedule, sender=self)


def install_tracker_schedule(**kwargs) -> None:
    from .pipeline.tasks import install_schedule

    install_schedule()
